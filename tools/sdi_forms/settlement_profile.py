"""The Know Your City settlement profile (sections A-Q), one record per settlement per round.

Names follow SDI's Ona forms (`section_B/B14_Status` ...) so historical KYC exports can be
imported. A few historical spellings are kept on purpose because exports use them:
`D4a_Distaster_Frequency`, `E1B_Evition_Threat_Count`, the job choices `restuarant` and
`securtiy`, and `verification/A0_Boundary` (the boundary sat in its own group). Section M
was never seen in the public exports and is left out. Names marked "new" in a comment
were not found in those exports and were chosen for Hesabu.
"""

from __future__ import annotations

from profile_community import JOBS, section_k, section_l, section_n, section_o, section_p, section_q
from profile_land_people import (
    DESTROYED,
    FREQUENCY,
    LOCATION_PROBLEMS,
    section_a,
    section_b,
    section_c,
    section_d,
    section_e,
)
from profile_services import (
    QUALITY,
    SUPPLY,
    TOILET_BLOCKS,
    TOILET_TYPES,
    section_f,
    section_g,
    section_h,
    section_i,
    section_j,
)
from shared_choices import (
    COUNTRY,
    DISASTERS,
    DONT_KNOW,
    MANAGERS,
    MEETING_FREQUENCY,
    NONE,
    OTHER,
    PRIORITIES,
    RELATIONSHIP,
    SHARE,
    TERMS,
    YES_NO,
)
from xlsform_table import (
    Form,
    T,
    choice_list,
)

VERSION = "2026120601"

# -- choices -----------------------------------------------------------------------------
CHOICES = [
    *YES_NO, *MANAGERS, *PRIORITIES, *TERMS, *SHARE, *MEETING_FREQUENCY, *RELATIONSHIP,
    *COUNTRY,
    *choice_list("year_known", [
        ("exact", T("Yes, exactly", "Oui, exactement", "Sim, exactamente", "Ndiyo, hasa")),
        ("estimate", T("Approximately", "Approximativement", "Aproximadamente",
                       "Takriban")),
        ("unknown", DONT_KNOW),
    ]),
    *choice_list("settlement_type", [
        ("informal_settlement", T("Informal settlement", "Quartier informel",
                                  "Bairro informal", "Makazi holela")),
        ("inner_city", T("Inner-city tenements", "Immeubles dégradés du centre",
                         "Cortiços no centro", "Nyumba chakavu mjini")),
        ("backyard", T("Backyard shacks", "Cabanes d'arrière-cour", "Barracas de quintal",
                       "Vibanda vya uani")),
        ("resettlement_site", T("Resettlement site", "Site de relogement",
                                "Local de reassentamento", "Eneo la makazi mapya")),
        ("other", OTHER),
    ]),
    *choice_list("status", [
        ("declared_legal_protected", T("Declared, legal, protected",
                                       "Déclaré, légal, protégé", "Declarado, legal, protegido",
                                       "Yametangazwa, halali, yanalindwa")),
        ("undeclared_illegal_unprotected", T("Undeclared, illegal, unprotected",
                                             "Non déclaré, illégal, non protégé",
                                             "Não declarado, ilegal, desprotegido",
                                             "Hayajatangazwa, si halali, hayalindwi")),
        ("resettled", T("Resettled", "Relogé", "Reassentado", "Yamehamishwa")),
    ]),
    *choice_list("location_problem", LOCATION_PROBLEMS),
    *choice_list("disaster", [*DISASTERS, ("none", NONE)]),
    *choice_list("frequency", FREQUENCY),
    *choice_list("destroyed", DESTROYED),
    *choice_list("seriousness", [
        ("low", T("Low", "Faible", "Baixa", "Ndogo")),
        ("medium", T("Medium", "Moyenne", "Média", "Wastani")),
        ("high", T("High", "Élevée", "Alta", "Kubwa")),
    ]),
    *choice_list("evictor", [
        ("government", T("Government", "Gouvernement", "Governo", "Serikali")),
        ("municipality", T("Municipality", "Municipalité", "Município", "Manispaa")),
        ("private_owner", T("Private owner", "Propriétaire privé", "Proprietário privado",
                            "Mmiliki binafsi")),
        ("developer", T("Developer", "Promoteur", "Promotor imobiliário", "Mwekezaji")),
        ("other", OTHER),
    ]),
    *choice_list("supply", SUPPLY),
    *choice_list("quality", QUALITY),
    *choice_list("toilet_block", TOILET_BLOCKS),
    *choice_list("toilet_type", TOILET_TYPES),
    *choice_list("garbage_location", [
        ("collection_point", T("Bin or collection point", "Poubelle ou point de collecte",
                               "Contentor ou ponto de recolha", "Pipa au kituo cha taka")),
        ("open_ground", T("Open ground", "Terrain vague", "Terreno aberto", "Uwanja wazi")),
        ("drain_or_river", T("Drain or river", "Caniveau ou rivière", "Vala ou rio",
                             "Mtaro au mto")),
        ("burned", T("Burned", "Brûlées", "Queimado", "Huchomwa")),
        ("buried", T("Buried", "Enterrées", "Enterrado", "Huzikwa")),
        ("other", OTHER),
    ]),
    *choice_list("garbage_collector", [
        ("municipality", T("Municipality", "Municipalité", "Município", "Manispaa")),
        ("private_company", T("Private company", "Entreprise privée", "Empresa privada",
                              "Kampuni binafsi")),
        ("community", T("Community group", "Groupe communautaire", "Grupo comunitário",
                        "Kikundi cha jamii")),
        ("other", OTHER),
    ]),
    *choice_list("disease", [
        ("malaria", T("Malaria", "Paludisme", "Malária", "Malaria")),
        ("cholera", T("Cholera", "Choléra", "Cólera", "Kipindupindu")),
        ("diarrhoea", T("Diarrhoea", "Diarrhée", "Diarreia", "Kuhara")),
        ("typhoid", T("Typhoid", "Typhoïde", "Febre tifóide", "Homa ya matumbo")),
        ("tb", T("Tuberculosis", "Tuberculose", "Tuberculose", "Kifua kikuu")),
        ("hiv_aids", T("HIV/AIDS", "VIH/sida", "VIH/SIDA", "VVU/UKIMWI")),
        ("respiratory", T("Chest infections", "Infections respiratoires",
                          "Infecções respiratórias", "Magonjwa ya kifua")),
        ("skin", T("Skin diseases", "Maladies de peau", "Doenças de pele",
                   "Magonjwa ya ngozi")),
        ("other", OTHER),
    ]),
    *choice_list("power_source", [
        ("grid_legal", T("Grid, metered", "Réseau, avec compteur", "Rede, com contador",
                         "Gridi, yenye mita")),
        ("grid_informal", T("Grid, informal connection", "Réseau, branchement informel",
                            "Rede, ligação informal", "Gridi, muunganisho holela")),
        ("solar", T("Solar", "Solaire", "Solar", "Jua")),
        ("generator", T("Generator", "Groupe électrogène", "Gerador", "Jenereta")),
        ("other", OTHER),
    ]),
    *choice_list("job", JOBS),
    *choice_list("transport", [
        ("walking", T("Walking", "À pied", "A pé", "Kutembea")),
        ("bicycle", T("Bicycle", "Vélo", "Bicicleta", "Baiskeli")),
        ("motorbike_taxi", T("Motorbike taxi", "Moto-taxi", "Moto-táxi", "Bodaboda")),
        ("minibus_taxi", T("Minibus taxi", "Minibus", "Chapa / minibus", "Daladala / matatu")),
        ("bus", T("Bus", "Bus", "Autocarro", "Basi")),
        ("train", T("Train", "Train", "Comboio", "Treni")),
        ("other", OTHER),
    ]),
    *choice_list("road_type", [
        ("paved_roads", T("Paved roads", "Routes goudronnées", "Estradas asfaltadas",
                          "Barabara za lami")),
        ("gravel_roads", T("Gravel roads", "Routes en gravier", "Estradas de terra batida",
                           "Barabara za changarawe")),
        ("dirt_paths", T("Dirt paths", "Chemins de terre", "Caminhos de terra",
                         "Njia za udongo")),
        ("footpaths_only", T("Narrow footpaths only", "Sentiers étroits seulement",
                             "Só carreiros estreitos", "Vijia vyembamba tu")),
    ]),
    *choice_list("leadership", [
        ("elected_committee", T("Elected committee", "Comité élu", "Comité eleito",
                                "Kamati iliyochaguliwa")),
        ("federation", T("Federation savings groups", "Groupes d'épargne de la fédération",
                         "Grupos de poupança da federação", "Vikundi vya akiba vya shirikisho")),
        ("traditional_leader", T("Traditional leader", "Chef traditionnel",
                                 "Líder tradicional", "Kiongozi wa kimila")),
        ("political_leader", T("Political leader", "Responsable politique", "Líder político",
                               "Kiongozi wa kisiasa")),
        ("none", NONE),
        ("other", OTHER),
    ]),
]


def build() -> Form:
    survey = [
        *section_a(), *section_b(), *section_c(), *section_d(), *section_e(), *section_f(),
        *section_g(), *section_h(), *section_i(), *section_j(), *section_k(), *section_l(),
        *section_n(), *section_o(), *section_p(), *section_q(),
    ]
    return Form(
        form_id="sdi_settlement_profile",
        title=T("SDI Know Your City settlement profile",
                "Profil d'établissement SDI Know Your City",
                "Perfil de assentamento SDI Know Your City",
                "Wasifu wa makazi wa SDI Know Your City"),
        version=VERSION,
        instance_name="concat(${B7_Settlement_Name_Community}, ', ', ${B5_City}, ' (', "
                      "${A1_Profile_Date}, ')')",
        survey=tuple(survey),
        choices=tuple(CHOICES),
    )

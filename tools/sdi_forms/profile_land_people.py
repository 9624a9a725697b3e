"""Settlement profile sections A-E: verification, land and tenure, structures and people,
hazards, eviction.
"""

from __future__ import annotations

from shared_choices import (
    DISASTERS,
    NONE,
    NONE_ALONE,
    ONLY_NONE,
    OTHER,
    SPECIFY_OTHER,
)
from xlsform_table import (
    Row,
    T,
    calculate,
    count,
    group,
    note,
    percent,
    q,
    sum_of,
)

YEAR_NOT_FUTURE = ". >= 1800 and . <= number(format-date(today(), '%Y'))"


# -- A: verification ---------------------------------------------------------------------
def section_a() -> list[Row]:
    boundary = group("verification", T("A. Verification", "A. Vérification", "A. Verificação",
                                       "A. Uthibitisho"), [
        q("geoshape", "A0_Boundary",
          T("Settlement boundary", "Limite du quartier", "Limite do bairro", "Mpaka wa makazi"),
          hint=T("Walk the boundary with community leaders.",
                 "Parcourez la limite avec les leaders communautaires.",
                 "Percorra o limite com os líderes comunitários.",
                 "Tembea mpakani pamoja na viongozi wa jamii."),
          required=False),
    ])
    dates = group("section_A", T("A. Profile", "A. Profil", "A. Perfil", "A. Wasifu"), [
        q("date", "A1_Profile_Date",
          T("Date of profiling", "Date du profilage", "Data do perfil", "Tarehe ya kuorodhesha"),
          constraint=". <= today()",
          msg=T("The date cannot be in the future.", "La date ne peut pas être future.",
                "A data não pode ser no futuro.", "Tarehe haiwezi kuwa ya baadaye.")),
        q("date", "A1a_Last_Updated",
          T("Date last updated", "Date de mise à jour", "Data da última actualização",
            "Tarehe ya mwisho kusasishwa"),
          required=False,
          constraint=". >= ${A1_Profile_Date} and . <= today()",
          msg=T("Between the profiling date and today.", "Entre la date du profilage et "
                "aujourd'hui.", "Entre a data do perfil e hoje.",
                "Kati ya tarehe ya kuorodhesha na leo.")),
        q("text", "A2_Federation",  # new
          T("Federation or team that profiled", "Fédération ou équipe", "Federação ou equipa",
            "Shirikisho au timu iliyoorodhesha")),
        count("A3_Respondents",  # new
              T("Community members who answered", "Habitants qui ont répondu",
                "Moradores que responderam", "Wanajamii waliojibu"),
              maximum=500),
    ])
    return boundary + dates


# -- B: identification, land and tenure --------------------------------------------------

#: (name suffix, label) of each land owner; the names are KYC's.
LAND_OWNERS = [
    ("private_owner", T("Private owner", "Propriétaire privé", "Proprietário privado",
                        "Mmiliki binafsi")),
    ("municipality", T("Municipality", "Municipalité", "Município", "Manispaa")),
    ("crown_land", T("State (crown) land", "Terrain de l'État", "Terra do Estado",
                     "Ardhi ya serikali")),
    ("customary_land", T("Customary land", "Terre coutumière", "Terra consuetudinária",
                         "Ardhi ya kimila")),
    ("church_land", T("Church land", "Terrain d'église", "Terra da igreja", "Ardhi ya kanisa")),
    ("railway", T("Railway", "Chemin de fer", "Caminho de ferro", "Reli")),
    ("airport_authority", T("Airport authority", "Autorité aéroportuaire",
                            "Autoridade aeroportuária", "Mamlaka ya uwanja wa ndege")),
    ("port_trust", T("Port authority", "Autorité portuaire", "Autoridade portuária",
                     "Mamlaka ya bandari")),
    ("defense", T("Defence force", "Défense", "Defesa", "Jeshi")),
    ("other_government_percentage", T("Other government", "Autre administration",
                                      "Outro organismo público", "Serikali nyingine")),
    ("other_percentage", OTHER),
    ("Unknown", T("Unknown", "Inconnu", "Desconhecido", "Haijulikani")),
]


def section_b() -> list[Row]:
    owners = [f"B13_Ownership_{suffix}" for suffix, _ in LAND_OWNERS]
    ownership: list[Row] = [
        note("B13_Ownership_Note",
             T("Who owns the land? Give the percentage for each owner; they must add up "
               "to 100.",
               "À qui appartient le terrain ? Donnez le pourcentage de chaque propriétaire ; "
               "le total doit faire 100.",
               "A quem pertence a terra? Indique a percentagem de cada proprietário; a soma "
               "deve ser 100.",
               "Nani anamiliki ardhi? Toa asilimia ya kila mmiliki; jumla iwe 100.")),
    ]
    for (_, owner), name in zip(LAND_OWNERS[:-1], owners[:-1], strict=True):
        ownership.append(percent(name, T(
            f"{owner.en} (%)", f"{owner.fr} (%)", f"{owner.pt} (%)", f"{owner.sw} (%)")))
    ownership.append(q(
        "integer", owners[-1], T("Unknown owner (%)", "Propriétaire inconnu (%)",
                                 "Proprietário desconhecido (%)", "Mmiliki hajulikani (%)"),
        hint=T("So far the others add up to ${B13_Ownership_Known}%.",
               "Les autres font ${B13_Ownership_Known} %.",
               "Os outros somam ${B13_Ownership_Known}%.",
               "Wengine wanafika ${B13_Ownership_Known}%."),
        # The sum is checked here, on the last share, because ODK does not enforce a
        # constraint on a calculate.
        constraint=f". >= 0 and . <= 100 and . + {sum_of(owners[:-1])} = 100",
        msg=T("The ownership percentages must add up to 100.",
              "Les pourcentages de propriété doivent totaliser 100.",
              "As percentagens de propriedade devem somar 100.",
              "Asilimia za umiliki lazima zifike 100."),
    ))
    ownership.insert(-1, calculate("B13_Ownership_Known", sum_of(owners[:-1])))
    ownership.append(calculate("B13_Ownership_Total", sum_of(owners)))

    return group("section_B", T("B. Identification, land and tenure",
                                "B. Identification, terrain et statut foncier",
                                "B. Identificação, terra e posse",
                                "B. Utambulisho, ardhi na umiliki"), [
        q("geopoint", "B1_GPS", T("GPS location of the settlement centre",
                                  "Position GPS du centre du quartier",
                                  "Localização GPS do centro do bairro",
                                  "Mahali pa GPS katikati ya makazi"),
          parameters="capture-accuracy=10 warning-accuracy=50"),
        q("decimal", "B2a_Area_sqmt", T("Area (square metres)", "Superficie (m²)",
                                        "Área (m²)", "Eneo (mita za mraba)"),
          hint=T("From the mapped boundary, or the best estimate.",
                 "D'après la limite cartographiée, ou la meilleure estimation.",
                 "Do limite mapeado, ou a melhor estimativa.",
                 "Kutoka mpaka uliopimwa, au makadirio bora."),
          constraint=". > 0 and . <= 50000000",
          msg=T("More than 0 and at most 50 km².", "Plus de 0 et au plus 50 km².",
                "Mais de 0 e no máximo 50 km².", "Zaidi ya 0 na si zaidi ya km² 50.")),
        calculate("B2b_Area_acres", "round(${B2a_Area_sqmt} div 4046.8564224, 2)"),
        q("select_one country", "B3_Country", T("Country", "Pays", "País", "Nchi")),
        q("text", "B3a_Country_Other", SPECIFY_OTHER,  # new
          relevant="${B3_Country} = 'other'"),
        q("text", "B4_Province", T("Province or region", "Province ou région",
                                   "Província ou região", "Mkoa")),
        q("text", "B5_City", T("City", "Ville", "Cidade", "Jiji")),
        q("text", "B6_Municipality", T("Municipality", "Commune", "Município", "Manispaa")),
        q("text", "B7_Settlement_Name_Community",
          T("Settlement name used by the community", "Nom du quartier selon les habitants",
            "Nome do bairro usado pelos moradores", "Jina la makazi linalotumiwa na jamii")),
        q("text", "B8_Settlement_Name_Municipality",
          T("Settlement name used by the municipality", "Nom du quartier selon la commune",
            "Nome do bairro usado pelo município", "Jina la makazi linalotumiwa na manispaa"),
          required=False),
        q("text", "B9_Ward", T("Ward or sub-location", "Quartier administratif",  # new
                               "Bairro administrativo", "Kata au kitongoji"),
          required=False),
        q("select_one year_known", "B10a_Year_Known",  # new
          T("Is the year the settlement began known?",
            "Connaît-on l'année de création du quartier ?",
            "Sabe-se o ano em que o bairro começou?",
            "Je, mwaka makazi yalipoanza unajulikana?")),
        q("integer", "B10b_Year_Established",
          T("Year the settlement was established", "Année de création du quartier",
            "Ano de fundação do bairro", "Mwaka makazi yalipoanzishwa"),
          relevant="${B10a_Year_Known} != 'unknown'",
          constraint=YEAR_NOT_FUTURE,
          msg=T("A year from 1800 up to this year.", "Une année entre 1800 et cette année.",
                "Um ano entre 1800 e este ano.", "Mwaka kati ya 1800 na mwaka huu.")),
        q("select_one settlement_type", "B11_Settlement_Type",  # new
          T("Type of settlement", "Type de quartier", "Tipo de bairro", "Aina ya makazi")),
        q("text", "B12_History",
          T("How did the settlement start?", "Comment le quartier a-t-il commencé ?",
            "Como começou o bairro?", "Makazi yalianzaje?"),
          appearance="multiline", required=False),
        *ownership,
        q("select_one status", "B14_Status",
          T("Legal status of the settlement", "Statut légal du quartier",
            "Estatuto legal do bairro", "Hali ya kisheria ya makazi")),
    ])


# -- C: structures and people ------------------------------------------------------------
def section_c() -> list[Row]:
    by_use = ["C1_Structures_Residential", "C2_Structures_Residential_Business",
              "C3_Structures_Business", "C4_Structures_Community"]
    return group("section_C", T("C. Structures and people", "C. Constructions et habitants",
                                "C. Construções e pessoas", "C. Majengo na watu"), [
        count(by_use[0], T("Residential structures", "Constructions résidentielles",
                           "Construções residenciais", "Majengo ya makazi")),
        count(by_use[1], T("Residential and business structures",
                           "Constructions résidentielles et commerciales",
                           "Construções residenciais e comerciais",
                           "Majengo ya makazi na biashara")),
        count(by_use[2], T("Business-only structures", "Constructions commerciales",
                           "Construções só comerciais", "Majengo ya biashara tu")),
        count(by_use[3], T("Community structures (halls, churches, schools)",  # new
                           "Constructions communautaires (salles, églises, écoles)",
                           "Construções comunitárias (salões, igrejas, escolas)",
                           "Majengo ya jamii (kumbi, makanisa, shule)")),
        q("integer", "C5_Structures_Total",
          T("Total structures", "Total des constructions", "Total de construções",
            "Jumla ya majengo"),
          constraint=f". >= {sum_of(by_use)}",
          msg=T("At least the sum of the structures by use above.",
                "Au moins la somme des constructions par usage ci-dessus.",
                "Pelo menos a soma das construções por uso acima.",
                "Angalau jumla ya majengo kwa matumizi hapo juu.")),
        q("integer", "C6_Structures_Permanent",
          T("Permanent structures (brick, block, concrete)",
            "Constructions en dur (briques, parpaings, béton)",
            "Construções permanentes (tijolo, bloco, betão)",
            "Majengo ya kudumu (matofali, bloku, zege)"),
          constraint=". >= 0 and . <= ${C5_Structures_Total}",
          msg=T("From 0 to the total number of structures.",
                "De 0 au nombre total de constructions.",
                "De 0 ao número total de construções.", "Kati ya 0 na jumla ya majengo.")),
        q("integer", "C7_Structures_Temporary",
          T("Temporary structures (iron sheet, wood, mud)",
            "Constructions provisoires (tôle, bois, terre)",
            "Construções temporárias (chapa, madeira, barro)",
            "Majengo ya muda (mabati, mbao, udongo)"),
          constraint=". >= 0 and . + ${C6_Structures_Permanent} <= ${C5_Structures_Total}",
          msg=T("Permanent and temporary together cannot exceed the total.",
                "En dur et provisoires ensemble ne peuvent dépasser le total.",
                "Permanentes e temporárias juntas não podem exceder o total.",
                "Ya kudumu na ya muda pamoja hayawezi kuzidi jumla.")),
        q("integer", "C8_Structures_Multistorey",  # new
          T("Structures with more than one storey", "Constructions à étage",
            "Construções com mais de um piso", "Majengo ya ghorofa"),
          constraint=". >= 0 and . <= ${C5_Structures_Total}",
          msg=T("From 0 to the total number of structures.",
                "De 0 au nombre total de constructions.",
                "De 0 ao número total de construções.", "Kati ya 0 na jumla ya majengo.")),
        q("integer", "C9_Households", T("Households", "Ménages", "Agregados familiares",
                                        "Kaya"),
          constraint=". >= 1 and . <= 200000",
          msg=T("From 1 to 200,000.", "De 1 à 200 000.", "De 1 a 200 000.",
                "Kati ya 1 na 200,000.")),
        q("decimal", "C10_Household_Size",
          T("Average household size", "Taille moyenne des ménages",
            "Tamanho médio do agregado", "Wastani wa watu kwa kaya"),
          constraint=". >= 1 and . <= 20",
          msg=T("From 1 to 20 people.", "De 1 à 20 personnes.", "De 1 a 20 pessoas.",
                "Kati ya watu 1 na 20.")),
        calculate("C11_Population_Estimate",
                  "round(${C9_Households} * ${C10_Household_Size}, 0)"),
        q("integer", "C12_Total_Population",
          T("Total population", "Population totale", "População total",
            "Jumla ya idadi ya watu"),
          hint=T("Households × size gives ${C11_Population_Estimate}.",
                 "Ménages × taille donne ${C11_Population_Estimate}.",
                 "Agregados × tamanho dá ${C11_Population_Estimate}.",
                 "Kaya × ukubwa ni ${C11_Population_Estimate}."),
          constraint=". >= ${C9_Households} and . <= 2000000",
          msg=T("At least one person per household, at most 2 million.",
                "Au moins une personne par ménage, au plus 2 millions.",
                "Pelo menos uma pessoa por agregado, no máximo 2 milhões.",
                "Angalau mtu mmoja kwa kaya, si zaidi ya milioni 2.")),
        q("select_one share", "C13_Renting",
          T("How many households rent?", "Combien de ménages louent ?",
            "Quantos agregados arrendam?", "Kaya ngapi zinapanga?")),
        # People per acre, as in the historical exports (the server reports per hectare).
        calculate("C14_density", "round(${C12_Total_Population} div ${B2b_Area_acres}, 1)"),
    ])


# -- D: hazards --------------------------------------------------------------------------
LOCATION_PROBLEMS = [
    ("railway_track", T("Next to a railway track", "Près d'une voie ferrée",
                        "Junto à linha férrea", "Karibu na reli")),
    ("under_power_lines", T("Under power lines", "Sous des lignes électriques",
                            "Debaixo de linhas eléctricas", "Chini ya nyaya za umeme")),
    ("road_side", T("Road reserve", "Bord de route", "Berma da estrada",
                    "Hifadhi ya barabara")),
    ("canal", T("Canal", "Canal", "Canal", "Mfereji mkubwa")),
    ("open_drains", T("Open drains", "Caniveaux à ciel ouvert", "Valas abertas",
                      "Mitaro wazi")),
    ("water_body", T("River bank or lake shore", "Berge ou rive", "Margem de rio ou lago",
                     "Ukingo wa mto au ziwa")),
    ("flood_prone_area", T("Flood-prone area", "Zone inondable", "Zona de cheias",
                           "Eneo la mafuriko")),
    ("slope", T("Steep slope", "Pente raide", "Encosta íngreme", "Mteremko mkali")),
    ("sinking_soil", T("Sinking or unstable soil", "Sol instable", "Solo instável",
                       "Udongo unaozama")),
    ("garbage_dump", T("Garbage dump", "Décharge", "Lixeira", "Dampo la taka")),
    ("mine_dump", T("Mine dump", "Terril de mine", "Escombreira de mina", "Dampo la mgodi")),
    ("industrial_hazards", T("Industrial hazards", "Risques industriels",
                             "Riscos industriais", "Hatari za viwanda")),
    ("none", NONE),
    ("other", OTHER),
]
FREQUENCY = [
    ("once", T("Once", "Une fois", "Uma vez", "Mara moja")),
    ("twice", T("Twice", "Deux fois", "Duas vezes", "Mara mbili")),
    ("three_times", T("Three times", "Trois fois", "Três vezes", "Mara tatu")),
    ("more_than_three", T("More than three times", "Plus de trois fois",
                          "Mais de três vezes", "Zaidi ya mara tatu")),
]
DESTROYED = [
    ("none", NONE),
    ("one_to_five", T("1 to 5", "1 à 5", "1 a 5", "1 hadi 5")),
    ("six_to_ten", T("6 to 10", "6 à 10", "6 a 10", "6 hadi 10")),
    ("more_than_ten", T("More than 10", "Plus de 10", "Mais de 10", "Zaidi ya 10")),
]


def section_d() -> list[Row]:
    rows: list[Row] = [
        q("select_multiple location_problem", "D1_Location_Problems",
          T("Where is the settlement located? (all that apply)",
            "Où se trouve le quartier ? (tout ce qui s'applique)",
            "Onde fica o bairro? (tudo o que se aplica)",
            "Makazi yako wapi? (chagua yote yanayohusika)"),
          constraint=NONE_ALONE, msg=ONLY_NONE),
        q("select_one yes_no", "D2_Location_Dangerous",
          T("Is the location dangerous to live in?", "L'emplacement est-il dangereux ?",
            "O local é perigoso para viver?", "Je, eneo hili ni hatari kuishi?")),
        q("select_multiple disaster", "D4_Natural_Disasters",
          T("Disasters in the last year (all that apply)",
            "Catastrophes de la dernière année (tout ce qui s'applique)",
            "Desastres no último ano (tudo o que se aplica)",
            "Maafa ya mwaka uliopita (chagua yote)"),
          constraint=NONE_ALONE, msg=ONLY_NONE),
    ]
    for letter, (name, disaster) in zip("abcde", DISASTERS, strict=True):
        relevant = f"selected(${{D4_Natural_Disasters}}, '{name}')"
        rows.append(q(
            "select_one frequency", f"D4{letter}_Distaster_Frequency",
            T("{d}: how often?", "{d} : combien de fois ?", "{d}: quantas vezes?",
              "{d}: mara ngapi?").fmt(d=disaster), relevant=relevant))
        rows.append(q(
            "select_one destroyed", f"D5{letter}_Structures_Destroyed",  # new
            T("{d}: structures destroyed", "{d} : constructions détruites",
              "{d}: construções destruídas", "{d}: majengo yaliyoharibiwa").fmt(d=disaster),
            relevant=relevant))
    return group("section_D", T("D. Hazards", "D. Risques", "D. Riscos", "D. Hatari"), rows)


# -- E: eviction -------------------------------------------------------------------------
def section_e() -> list[Row]:
    return group("section_E", T("E. Eviction", "E. Expulsion", "E. Despejo",
                                "E. Kufukuzwa"), [
        q("select_one yes_no", "E1A_Eviction_Threats",
          T("Has the settlement ever been threatened with eviction?",
            "Le quartier a-t-il déjà été menacé d'expulsion ?",
            "O bairro já foi ameaçado de despejo?",
            "Je, makazi yamewahi kutishiwa kufukuzwa?")),
        q("integer", "E1B_Evition_Threat_Count",
          T("How many eviction threats?", "Combien de menaces d'expulsion ?",
            "Quantas ameaças de despejo?", "Vitisho vingapi vya kufukuzwa?"),
          relevant="${E1A_Eviction_Threats} = 'yes'",
          constraint=". >= 1 and . <= 500",
          msg=T("From 1 to 500.", "De 1 à 500.", "De 1 a 500.", "Kati ya 1 na 500.")),
        q("select_one yes_no", "E2A_Current_Eviction_Threat",
          T("Is there an eviction threat now?", "Y a-t-il une menace d'expulsion actuelle ?",
            "Existe agora uma ameaça de despejo?", "Je, kuna tishio la kufukuzwa sasa?")),
        q("select_one seriousness", "E2B_Current_Eviction_Seriousness",
          T("How serious is the current threat?", "Quelle est la gravité de la menace ?",
            "Quão séria é a ameaça actual?", "Tishio la sasa ni zito kiasi gani?"),
          relevant="${E2A_Current_Eviction_Threat} = 'yes'"),
        q("select_multiple evictor", "E3_Eviction_By",  # new
          T("Who is threatening eviction?", "Qui menace d'expulsion ?",
            "Quem ameaça o despejo?", "Nani anatishia kuwafukuza?"),
          relevant="${E2A_Current_Eviction_Threat} = 'yes'"),
        count("E4_Evictions_Carried_Out",  # new
              T("Times people were actually evicted", "Expulsions effectivement réalisées",
                "Despejos efectivamente realizados", "Mara watu walifukuzwa kweli"),
              maximum=100),
    ])

"""Settlement profile sections F-J: water, sanitation, garbage, health, electricity.
"""

from __future__ import annotations

from shared_choices import (
    OTHER,
)
from xlsform_table import (
    NOT_NEGATIVE,
    Row,
    T,
    count,
    group,
    minutes,
    percent,
    q,
)

# -- F: water ----------------------------------------------------------------------------
WATER_SOURCES = [
    T("Shared or communal taps", "Robinets partagés ou collectifs",
      "Torneiras partilhadas ou comunitárias", "Mabomba ya pamoja"),
    T("Individual taps", "Robinets individuels", "Torneiras individuais",
      "Mabomba ya kibinafsi"),
    T("Boreholes", "Forages", "Furos", "Visima virefu"),
    T("Hand pumps", "Pompes à main", "Bombas manuais", "Pampu za mkono"),
    T("Protected wells", "Puits protégés", "Poços protegidos", "Visima vilivyohifadhiwa"),
    T("Unprotected wells", "Puits non protégés", "Poços não protegidos",
      "Visima visivyohifadhiwa"),
    T("Springs", "Sources", "Nascentes", "Chemchemi"),
    T("Water kiosks and tanks", "Kiosques et citernes", "Quiosques e tanques de água",
      "Vibanda na matangi ya maji"),
    T("Vendors and water trucks", "Vendeurs et camions-citernes",
      "Vendedores e camiões-cisterna", "Wachuuzi na malori ya maji"),
]
SUPPLY = [
    ("full_time", T("All day, every day", "Toute la journée, tous les jours",
                    "Todo o dia, todos os dias", "Siku nzima, kila siku")),
    ("some_hours_daily", T("Some hours every day", "Quelques heures par jour",
                           "Algumas horas por dia", "Saa chache kila siku")),
    ("some_days_weekly", T("Some days a week", "Quelques jours par semaine",
                           "Alguns dias por semana", "Siku chache kwa wiki")),
    ("irregular", T("Irregular", "Irrégulier", "Irregular", "Si za kawaida")),
]
QUALITY = [
    ("safe", T("Safe to drink", "Potable", "Potável", "Salama kunywa")),
    ("safe_if_treated", T("Safe if boiled or treated", "Potable si bouillie ou traitée",
                          "Potável se fervida ou tratada", "Salama ikichemshwa")),
    ("not_safe", T("Not safe", "Non potable", "Não potável", "Si salama")),
]


def section_f() -> list[Row]:
    rows: list[Row] = []
    for n, source in enumerate(WATER_SOURCES, start=1):
        has = f"${{F{n}_Count}} > 0"
        rows += [
            count(f"F{n}_Count", T("{s}: how many?", "{s} : combien ?", "{s}: número?",
                                   "{s}: idadi?").fmt(s=source), maximum=100000),
            q("integer", f"F{n}_Working",
              T("{s}: how many work?", "{s} : combien fonctionnent ?",
                "{s}: número a funcionar?", "{s}: idadi inayofanya kazi?").fmt(s=source),
              relevant=has,
              constraint=f". >= 0 and . <= ${{F{n}_Count}}",
              # Plain words: a ${name} in a message is shown as typed, not filled in.
              msg=T("{s}: the working ones cannot be more than the number counted.",
                    "{s} : pas plus en état de marche que ceux comptés.",
                    "{s}: os que funcionam não podem ser mais do que os contados.",
                    "{s}: zinazofanya kazi haziwezi kuzidi idadi zilizohesabiwa.",
                    ).fmt(s=source)),
            q("select_one manager", f"F{n}_Manager",
              T("{s}: who manages them?", "{s} : qui les gère ?", "{s}: quem gere?",
                "{s}: nani anasimamia?").fmt(s=source), relevant=has),
            q("select_one supply", f"F{n}_Supply",
              T("{s}: when is there water?", "{s} : quand y a-t-il de l'eau ?",
                "{s}: quando há água?", "{s}: maji hupatikana lini?").fmt(s=source),
              relevant=has),
            q("select_one quality", f"F{n}_Quality",
              T("{s}: water quality", "{s} : qualité de l'eau", "{s}: qualidade da água",
                "{s}: ubora wa maji").fmt(s=source), relevant=has),
        ]
    rows += [
        q("decimal", "F11_Water_MonthlyCost",
          T("Average household cost of water per month", "Coût moyen de l'eau par ménage "
            "et par mois", "Custo médio da água por agregado por mês",
            "Wastani wa gharama ya maji kwa kaya kwa mwezi"),
          hint=T("In local currency.", "En monnaie locale.", "Em moeda local.",
                 "Kwa fedha ya nchi."),
          constraint=". >= 0", msg=NOT_NEGATIVE),
        minutes("F12_Water_CollectionTime",  # new
                T("Minutes to fetch water (walk, queue, return)",
                  "Minutes pour chercher l'eau (aller, attente, retour)",
                  "Minutos para buscar água (ida, fila, volta)",
                  "Dakika za kuchota maji (kwenda, foleni, kurudi)")),
        q("select_one yes_no", "F13_Main_Water_Line",  # new
          T("Does a main water line pass by the settlement?",
            "Une conduite principale passe-t-elle près du quartier ?",
            "Passa uma conduta principal junto ao bairro?",
            "Je, bomba kuu la maji linapita karibu na makazi?")),
    ]
    return group("section_F", T("F. Water", "F. Eau", "F. Água", "F. Maji"), rows)


# -- G: sanitation -----------------------------------------------------------------------
TOILET_BLOCKS = [
    ("individual_toilets", T("Individual toilets", "Toilettes individuelles",
                             "Casas de banho individuais", "Vyoo vya kibinafsi")),
    ("shared_toilets", T("Shared toilets", "Toilettes partagées", "Casas de banho partilhadas",
                         "Vyoo vya kushiriki")),
    ("communal_toilets", T("Communal toilet blocks", "Blocs sanitaires communautaires",
                           "Blocos sanitários comunitários", "Vyoo vya jamii")),
    ("public_toilets", T("Public pay toilets", "Toilettes publiques payantes",
                         "Casas de banho públicas pagas", "Vyoo vya umma vya kulipia")),
]
TOILET_TYPES = [
    ("flush", T("Flush toilet", "Chasse d'eau", "Autoclismo", "Choo cha kuvuta maji")),
    ("pour_flush", T("Pour-flush", "Chasse manuelle", "Descarga manual",
                     "Choo cha kumwaga maji")),
    ("ecosan", T("Ecosan (dry, composting)", "Écosan (sèche, compost)",
                 "Ecosan (seca, compostagem)", "Ecosan (kikavu, mbolea)")),
    ("chemical", T("Chemical toilet", "Toilette chimique", "Casa de banho química",
                   "Choo cha kemikali")),
    ("vip_latrine", T("Ventilated pit latrine", "Latrine ventilée", "Latrina ventilada",
                      "Choo cha shimo chenye bomba")),
    ("pit_latrine", T("Pit latrine", "Latrine à fosse", "Latrina de fossa", "Choo cha shimo")),
    ("bucket", T("Bucket", "Seau", "Balde", "Ndoo")),
    ("other", OTHER),
]


def section_g() -> list[Row]:
    rows: list[Row] = [
        q("select_one yes_no", "G1_Sewer_Line",
          T("Is there a sewer line near the settlement?",
            "Y a-t-il un égout près du quartier ?", "Há um esgoto perto do bairro?",
            "Je, kuna bomba la maji taka karibu?")),
        q("select_one yes_no", "G2_Sewer_Connected",
          T("Is the settlement connected to it?", "Le quartier y est-il raccordé ?",
            "O bairro está ligado a ele?", "Je, makazi yameunganishwa nalo?"),
          relevant="${G1_Sewer_Line} = 'yes'"),
        q("select_one yes_no", "G3_Toilets_Pay",
          T("Do people pay to use toilets?", "Paie-t-on pour utiliser les toilettes ?",
            "As pessoas pagam para usar casas de banho?", "Je, watu hulipia kutumia choo?")),
        q("decimal", "G4_Toilet_Cost",  # new
          T("Cost of one visit", "Coût d'un passage", "Custo de uma utilização",
            "Gharama ya kutumia mara moja"),
          relevant="${G3_Toilets_Pay} = 'yes'", constraint=". >= 0", msg=NOT_NEGATIVE),
        percent("G5_OpenDefecation_Percentage",
                T("People who defecate in the open (%)", "Défécation à l'air libre (%)",
                  "Defecação ao ar livre (%)", "Wanaojisaidia wazi (%)")),
        q("integer", "G6_BucketSystem_Percentage",
          T("People who use buckets or bags (%)", "Personnes utilisant seaux ou sacs (%)",
            "Pessoas que usam baldes ou sacos (%)", "Wanaotumia ndoo au mifuko (%)"),
          constraint=". >= 0 and . <= 100 - ${G5_OpenDefecation_Percentage}",
          msg=T("Open defecation and buckets together cannot exceed 100%.",
                "Air libre et seaux ensemble ne peuvent dépasser 100 %.",
                "Ar livre e baldes juntos não podem exceder 100%.",
                "Wazi na ndoo pamoja haziwezi kuzidi 100%.")),
        q("select_multiple toilet_block", "G7_10_Toilet_Types",
          T("Which toilets are there? (all that apply)",
            "Quelles toilettes y a-t-il ? (tout ce qui s'applique)",
            "Que casas de banho existem? (tudo o que se aplica)",
            "Kuna vyoo gani? (chagua vyote)"),
          required=False),
    ]
    for n, (block, label) in enumerate(TOILET_BLOCKS, start=7):
        relevant = f"selected(${{G7_10_Toilet_Types}}, '{block}')"
        rows += [
            q("select_one toilet_type", f"G{n}_Toilet_Type",
              T("{t}: main type", "{t} : type principal", "{t}: tipo principal",
                "{t}: aina kuu").fmt(t=label), relevant=relevant),
            q("integer", f"G{n}_Seats",
              T("{t}: number of seats", "{t} : nombre de places", "{t}: número de sanitas",
                "{t}: idadi ya matundu").fmt(t=label), relevant=relevant,
              constraint=". >= 1 and . <= 100000",
              msg=T("From 1 to 100,000.", "De 1 à 100 000.", "De 1 a 100 000.",
                    "Kati ya 1 na 100,000.")),
            q("integer", f"G{n}_Working",
              T("{t}: seats that work", "{t} : places qui fonctionnent",
                "{t}: sanitas que funcionam", "{t}: matundu yanayofanya kazi").fmt(t=label),
              relevant=relevant,
              constraint=f". >= 0 and . <= ${{G{n}_Seats}}",
              msg=T("Cannot be more than the number of seats.",
                    "Pas plus que le nombre de places.",
                    "Não pode ser mais do que o número de sanitas.",
                    "Haiwezi kuzidi idadi ya matundu.")),
            q("select_one manager", f"G{n}_Manager",
              T("{t}: who manages them?", "{t} : qui les gère ?", "{t}: quem gere?",
                "{t}: nani anasimamia?").fmt(t=label), relevant=relevant),
        ]
    rows += [
        minutes("G11_Average_Wait",  # new
                T("Average wait for a toilet (minutes)", "Attente moyenne aux toilettes "
                  "(minutes)", "Espera média pela casa de banho (minutos)",
                  "Wastani wa kusubiri choo (dakika)")),
        q("select_one yes_no", "G12_Toilets_Safe_At_Night",  # new
          T("Are toilets safe to use at night?", "Les toilettes sont-elles sûres la nuit ?",
            "As casas de banho são seguras à noite?", "Je, vyoo ni salama usiku?")),
    ]
    return group("section_G", T("G. Sanitation", "G. Assainissement", "G. Saneamento",
                                "G. Usafi wa mazingira"), rows)


# -- H: garbage --------------------------------------------------------------------------
def section_h() -> list[Row]:
    collected = "${H2_Garbage_Collected} = 'yes'"
    return group("section_H", T("H. Garbage", "H. Ordures", "H. Lixo", "H. Taka"), [
        q("select_one garbage_location", "H1_Garbage_Location",
          T("Where do most people put their garbage?",
            "Où la plupart des gens jettent-ils leurs ordures ?",
            "Onde a maioria põe o lixo?", "Watu wengi hutupa taka wapi?")),
        q("select_one yes_no", "H2_Garbage_Collected",  # new
          T("Is garbage collected from the settlement?",
            "Les ordures sont-elles collectées ?", "O lixo é recolhido no bairro?",
            "Je, taka hukusanywa kutoka makazini?")),
        q("select_one garbage_collector", "H3_Garbage_Collector",
          T("Who collects it?", "Qui les collecte ?", "Quem o recolhe?",
            "Nani anazikusanya?"), relevant=collected),
        q("decimal", "H4_Garbage_Cost",  # new
          T("Household cost of collection per month", "Coût mensuel de la collecte par "
            "ménage", "Custo mensal da recolha por agregado",
            "Gharama ya ukusanyaji kwa kaya kwa mwezi"),
          relevant=collected, constraint=". >= 0", msg=NOT_NEGATIVE),
        count("H5_Garbage_Bins", T("Public bins or skips", "Poubelles ou bennes publiques",
                                   "Contentores públicos", "Mapipa ya taka ya umma")),
        count("H6_Garbage_WeeklyCollections",
              T("Collections per week", "Collectes par semaine", "Recolhas por semana",
                "Ukusanyaji kwa wiki"), maximum=14, relevant=collected),
    ])


# -- I: health and emergency -------------------------------------------------------------
def section_i() -> list[Row]:
    return group("section_I", T("I. Health and emergencies", "I. Santé et urgences",
                                "I. Saúde e emergências", "I. Afya na dharura"), [
        minutes("I1_Clinic_Minutes", T("Walk to the nearest clinic (minutes)",
                                       "Marche jusqu'au centre de santé (minutes)",
                                       "A pé até ao posto de saúde (minutos)",
                                       "Kutembea hadi zahanati (dakika)")),
        minutes("I2_HIV_Clinic_Minutes", T("Walk to the nearest HIV clinic (minutes)",
                                           "Marche jusqu'au centre VIH (minutes)",
                                           "A pé até à clínica de VIH (minutos)",
                                           "Kutembea hadi kliniki ya VVU (dakika)")),
        minutes("I3_Hospital_Minutes", T("Travel to the nearest hospital (minutes)",
                                         "Trajet jusqu'à l'hôpital (minutes)",
                                         "Viagem até ao hospital (minutos)",
                                         "Safari hadi hospitali (dakika)")),
        q("select_one yes_no", "I4_Ambulance_Access",
          T("Does an ambulance come when called?", "L'ambulance vient-elle si on l'appelle ?",
            "A ambulância vem quando chamada?", "Je, gari la wagonjwa huja likiitwa?")),
        minutes("I4a_Ambulance_Minutes", T("Ambulance response time (minutes)",
                                           "Délai de l'ambulance (minutes)",
                                           "Tempo de resposta da ambulância (minutos)",
                                           "Muda wa gari la wagonjwa kufika (dakika)"),
                relevant="${I4_Ambulance_Access} = 'yes'"),
        q("select_one yes_no", "I5_FireEngine_Access",
          T("Can a fire engine reach the settlement?", "Les pompiers peuvent-ils accéder ?",
            "Os bombeiros conseguem chegar?", "Je, gari la zimamoto linaweza kufika?")),
        minutes("I5a_FireEngine_Minutes", T("Fire engine response time (minutes)",
                                            "Délai des pompiers (minutes)",
                                            "Tempo de resposta dos bombeiros (minutos)",
                                            "Muda wa zimamoto kufika (dakika)"),
                relevant="${I5_FireEngine_Access} = 'yes'"),
        q("select_multiple disease", "I6_Common_Diseases",
          T("Common diseases (all that apply)", "Maladies courantes (toutes)",
            "Doenças comuns (todas)", "Magonjwa ya kawaida (chagua yote)")),
    ])


# -- J: electricity ----------------------------------------------------------------------
#: J3 is part of C9: the server would otherwise show more than 100 % of households
#: connected (docs/indicators.md, "Impossible figures").
HOUSEHOLDS_CONNECTED = T(
    "Cannot be more than the households in the settlement (question C9, Households). "
    "Check both numbers.",
    "Pas plus que les ménages du quartier (question C9, Ménages). Vérifiez les deux "
    "nombres.",
    "Não pode ser mais do que os agregados do bairro (pergunta C9, Agregados "
    "familiares). Verifique os dois números.",
    "Haiwezi kuzidi kaya za makazi (swali C9, Kaya). Hakiki namba zote mbili.",
)
def section_j() -> list[Row]:
    has = "${J1_Electricity_Available} = 'yes'"
    return group("section_J", T("J. Electricity", "J. Électricité", "J. Electricidade",
                                "J. Umeme"), [
        q("select_one yes_no", "J1_Electricity_Available",
          T("Is electricity available in the settlement?",
            "L'électricité est-elle disponible ?", "Há electricidade no bairro?",
            "Je, kuna umeme makazini?")),
        q("select_multiple power_source", "J2_Electricity_Source",  # new
          T("Sources of electricity", "Sources d'électricité", "Fontes de electricidade",
            "Vyanzo vya umeme"), relevant=has),
        q("integer", "J3_Households_Connected",
          T("Households connected", "Ménages raccordés", "Agregados ligados",
            "Kaya zilizounganishwa"),
          relevant=has, constraint=". >= 0 and . <= ${C9_Households}",
          msg=HOUSEHOLDS_CONNECTED),
        q("select_one yes_no", "J4_Street_Lights",  # new
          T("Are there working street lights?", "Y a-t-il un éclairage public ?",
            "Há iluminação pública a funcionar?", "Je, kuna taa za barabarani zinazowaka?")),
        count("J5_Electricity_HoursPerDay", T("Hours of electricity per day",
                                              "Heures d'électricité par jour",
                                              "Horas de electricidade por dia",
                                              "Saa za umeme kwa siku"),
              maximum=24, relevant=has),
        q("decimal", "J6_Electricity_MonthlyCost",
          T("Average household cost per month", "Coût moyen par ménage et par mois",
            "Custo médio por agregado por mês", "Wastani wa gharama kwa kaya kwa mwezi"),
          relevant=has, constraint=". >= 0", msg=NOT_NEGATIVE),
    ])

"""Settlement profile sections K-Q: livelihoods, transport, facilities, shops, community
organisation, priorities.
"""

from __future__ import annotations

from shared_choices import (
    ORDINALS,
    OTHER,
)
from xlsform_table import (
    NOT_NEGATIVE,
    Row,
    T,
    calculate,
    count,
    group,
    minutes,
    q,
    sum_of,
)

# -- K: livelihoods ----------------------------------------------------------------------
JOBS = [
    ("construction", T("Construction", "Construction", "Construção", "Ujenzi")),
    ("masonry", T("Masonry", "Maçonnerie", "Alvenaria", "Uashi")),
    ("tilers", T("Tiling", "Carrelage", "Ladrilhador", "Kuweka vigae")),
    ("electricians", T("Electrical work", "Électricité", "Electricista", "Ufundi umeme")),
    ("hawking", T("Hawking", "Colportage", "Venda ambulante", "Umachinga")),
    ("petty_trading", T("Petty trading", "Petit commerce", "Pequeno comércio",
                        "Biashara ndogo")),
    ("food_vendor", T("Selling food", "Vente de nourriture", "Venda de comida",
                      "Kuuza chakula")),
    ("domestic_work", T("Domestic work", "Travail domestique", "Trabalho doméstico",
                        "Kazi za ndani")),
    # "restuarant" and "securtiy" are misspelt in the historical KYC exports; kept so
    # imported answers still match a choice.
    ("restuarant", T("Restaurants", "Restaurants", "Restaurantes", "Mikahawa")),
    ("shopping_centre", T("Shops and malls", "Magasins", "Lojas", "Maduka")),
    ("securtiy", T("Security guard", "Gardiennage", "Segurança", "Ulinzi")),
    ("transport", T("Transport (drivers, taxis)", "Transport (chauffeurs, taxis)",
                    "Transporte (motoristas, táxis)", "Usafiri (madereva, teksi)")),
    ("factory", T("Factory work", "Usine", "Fábrica", "Kiwandani")),
    ("fishing", T("Fishing", "Pêche", "Pesca", "Uvuvi")),
    ("farming", T("Farming", "Agriculture", "Agricultura", "Kilimo")),
    ("recycling", T("Waste picking and recycling", "Récupération et recyclage",
                    "Catação e reciclagem", "Kuokota na kurejeleza taka")),
    ("other", OTHER),
]


def section_k() -> list[Row]:
    return group("section_K", T("K. Livelihoods", "K. Moyens de subsistance",
                                "K. Meios de vida", "K. Maisha na kipato"), [
        q("select_multiple job", "K1_Jobs_Men",
          T("Main jobs of men", "Principaux métiers des hommes",
            "Principais trabalhos dos homens", "Kazi kuu za wanaume")),
        q("select_multiple job", "K2_Jobs_Women",
          T("Main jobs of women", "Principaux métiers des femmes",
            "Principais trabalhos das mulheres", "Kazi kuu za wanawake")),
        q("select_one share", "K3_Unemployment",  # new
          T("How many adults have no work?", "Combien d'adultes sont sans travail ?",
            "Quantos adultos não têm trabalho?", "Watu wazima wangapi hawana kazi?")),
    ])


# -- L: transport and roads --------------------------------------------------------------
def section_l() -> list[Row]:
    return group("section_L", T("L. Transport and roads", "L. Transport et routes",
                                "L. Transporte e estradas", "L. Usafiri na barabara"), [
        q("select_multiple transport", "L1_Transport_Modes",
          T("How do people travel to work?", "Comment les gens vont-ils au travail ?",
            "Como as pessoas vão para o trabalho?", "Watu husafiri vipi kwenda kazini?")),
        q("decimal", "L2_Transport_Cost",  # new
          T("Cost of one trip to the city centre", "Coût d'un trajet vers le centre-ville",
            "Custo de uma viagem ao centro", "Gharama ya safari moja hadi mjini"),
          constraint=". >= 0", msg=NOT_NEGATIVE),
        minutes("L3_Rail_Minutes", T("Walk to the nearest train station (minutes)",  # new
                                     "Marche jusqu'à la gare (minutes)",
                                     "A pé até à estação (minutos)",
                                     "Kutembea hadi stesheni ya treni (dakika)"),
                hint=T("Leave empty if there is no train.", "Laissez vide s'il n'y a pas de "
                       "train.", "Deixe vazio se não houver comboio.",
                       "Acha wazi kama hakuna treni."),
                required=False),
        minutes("L4_Bus_Minutes", T("Walk to the nearest bus or taxi stop (minutes)",  # new
                                    "Marche jusqu'à l'arrêt de bus (minutes)",
                                    "A pé até à paragem (minutos)",
                                    "Kutembea hadi kituo cha basi (dakika)")),
        q("select_one road_type", "L5_Road_Type",
          T("How do people reach their homes?", "Comment accède-t-on aux maisons ?",
            "Como se chega às casas?", "Watu hufikaje nyumbani kwao?")),
        q("select_one yes_no", "L6_Planned_Roads",  # new
          T("Has the city planned roads through the settlement?",
            "La ville a-t-elle prévu des routes dans le quartier ?",
            "A cidade planeou estradas no bairro?",
            "Je, jiji limepanga barabara makazini?")),
    ])


# -- N, O: facilities and shops ----------------------------------------------------------
def section_n() -> list[Row]:
    return group("section_N", T("N. Facilities", "N. Équipements", "N. Equipamentos",
                                "N. Huduma"), [
        minutes("N1_Bank_Minutes", T("Walk to the nearest bank (minutes)",
                                     "Marche jusqu'à la banque (minutes)",
                                     "A pé até ao banco (minutos)",
                                     "Kutembea hadi benki (dakika)")),
        minutes("N2_School_Minutes", T("Walk to the nearest primary school (minutes)",
                                       "Marche jusqu'à l'école primaire (minutes)",
                                       "A pé até à escola primária (minutos)",
                                       "Kutembea hadi shule ya msingi (dakika)")),
        q("select_one yes_no", "N3_InformalMarkets",
          T("Is there an informal market nearby?", "Y a-t-il un marché informel proche ?",
            "Há um mercado informal perto?", "Je, kuna soko lisilo rasmi karibu?")),
        q("select_one yes_no", "N3_InformalMarkets_inside",
          T("Is it inside the settlement?", "Est-il dans le quartier ?",
            "Fica dentro do bairro?", "Je, liko ndani ya makazi?"),
          relevant="${N3_InformalMarkets} = 'yes'"),
        minutes("N4_Police_Minutes", T("Walk to the nearest police post (minutes)",
                                       "Marche jusqu'au poste de police (minutes)",
                                       "A pé até à esquadra (minutos)",
                                       "Kutembea hadi kituo cha polisi (dakika)")),
        q("select_one yes_no", "N5_Community_Hall",
          T("Is there a community hall?", "Y a-t-il une salle communautaire ?",
            "Há um salão comunitário?", "Je, kuna ukumbi wa jamii?")),
    ])


SHOPS = [
    ("O1_Shops_Food", T("Food shops", "Épiceries", "Mercearias", "Maduka ya vyakula")),
    ("O2_Shops_Bars", T("Bars", "Bars", "Bares", "Baa")),
    ("O3_Shops_Pharmacies", T("Pharmacies", "Pharmacies", "Farmácias", "Maduka ya dawa")),
    ("O4_Shops_Hardware", T("Hardware shops", "Quincailleries", "Ferragens",
                            "Maduka ya vifaa")),
    ("O5_Shops_Salons", T("Hair salons", "Salons de coiffure", "Cabeleireiros", "Saluni")),
    ("O6_Shops_Phone", T("Phone charging and airtime", "Recharge de téléphones",
                         "Carregamento de telemóveis", "Kuchaji simu na vocha")),
    ("O7_Shops_Other", T("Other shops", "Autres boutiques", "Outras lojas",
                         "Maduka mengine")),
]


def section_o() -> list[Row]:
    rows = [count(name, label, maximum=100000) for name, label in SHOPS]
    rows.append(calculate("O8_Shops_Total", sum_of([n for n, _ in SHOPS])))
    return group("section_O", T("O. Shops", "O. Commerces", "O. Comércio", "O. Maduka"), rows)


# -- P: community organisation -----------------------------------------------------------
def section_p() -> list[Row]:
    return group("section_P", T("P. Community organisation", "P. Organisation communautaire",
                                "P. Organização comunitária", "P. Mpangilio wa jamii"), [
        q("select_one leadership", "P1_Leadership",
          T("Who leads the settlement?", "Qui dirige le quartier ?", "Quem lidera o bairro?",
            "Nani anaongoza makazi?")),
        q("select_one meeting_frequency", "P2_Meeting_Frequency",
          T("How often does the community meet?", "À quelle fréquence la communauté "
            "se réunit-elle ?", "Com que frequência a comunidade se reúne?",
            "Jamii hukutana mara ngapi?")),
        q("select_one yes_no", "P3_City_Meetings",
          T("Does the community meet city officials?",
            "La communauté rencontre-t-elle la ville ?",
            "A comunidade reúne-se com o município?",
            "Je, jamii hukutana na maafisa wa jiji?")),
        q("select_one meeting_frequency", "P3a_City_Meeting_Frequency",
          T("How often?", "À quelle fréquence ?", "Com que frequência?", "Mara ngapi?"),
          relevant="${P3_City_Meetings} = 'yes'"),
        q("select_one relationship", "P4_City_Relationship",
          T("Relationship with the city", "Relation avec la ville", "Relação com o município",
            "Uhusiano na jiji")),
        count("P5_Savings_Groups", T("Savings groups in the settlement",
                                     "Groupes d'épargne dans le quartier",
                                     "Grupos de poupança no bairro",
                                     "Vikundi vya akiba makazini"), maximum=1000),
        q("integer", "P6_Savings_Members",
          T("Members of those savings groups", "Membres de ces groupes",
            "Membros desses grupos", "Wanachama wa vikundi hivyo"),
          relevant="${P5_Savings_Groups} > 0",
          constraint=". >= ${P5_Savings_Groups} and . <= 1000000",
          msg=T("At least one member per group.", "Au moins un membre par groupe.",
                "Pelo menos um membro por grupo.", "Angalau mwanachama mmoja kwa kikundi.")),
        q("select_one yes_no", "P7_Federation_Member",
          T("Is the settlement part of the federation?", "Le quartier fait-il partie de "
            "la fédération ?", "O bairro faz parte da federação?",
            "Je, makazi ni sehemu ya shirikisho?")),
    ])


# -- Q: priorities -----------------------------------------------------------------------
def section_q() -> list[Row]:
    rows: list[Row] = []
    for n, ordinal in enumerate(ORDINALS, start=1):
        name = f"Q{n}_Priority{n}"
        earlier = [f"${{Q{k}_Priority{k}}}" for k in range(1, n)]
        distinct = {}
        if earlier:
            distinct = {
                "constraint": ". = 'other' or (" + " and ".join(f". != {e}" for e in earlier)
                + ")",
                "msg": T("This priority was already chosen.", "Cette priorité est déjà choisie.",
                         "Esta prioridade já foi escolhida.", "Kipaumbele hiki kimeshachaguliwa."),
            }
        rows += [
            q("select_one priority", name,
              T("{o} priority", "{o} priorité", "{o} prioridade", "Kipaumbele {o}")
              .fmt(o=ordinal), **distinct),
            q("select_one term", f"Q{n}a_Priority_Term",
              T("When is it needed?", "Pour quand ?", "Para quando?", "Kinahitajika lini?")),
            q("text", f"Q{n}b_Priority{n}_Comments",
              T("Comments", "Commentaires", "Comentários", "Maoni"),
              hint=T("Required when the priority is 'Other'.", "Obligatoire si « Autre ».",
                     "Obrigatório se 'Outro'.", "Inahitajika ikiwa ni 'Nyingine'."),
              required=f"${{{name}}} = 'other'"),
        ]
    return group("section_Q", T("Q. Priorities", "Q. Priorités", "Q. Prioridades",
                                "Q. Vipaumbele"), rows)

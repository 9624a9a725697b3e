"""The Know Your City settlement profile (sections A-Q), one record per settlement per round.

Names follow SDI's Ona forms (`section_B/B14_Status` ...) so historical KYC exports can be
imported. A few historical spellings are kept on purpose because exports use them:
`D4a_Distaster_Frequency`, `E1B_Evition_Threat_Count`, the job choices `restuarant` and
`securtiy`, and `verification/A0_Boundary` (the boundary sat in its own group). Section M
was never seen in the public exports and is left out. Names marked "new" in a comment
were not found in those exports and were chosen for Hesabu.
"""

from __future__ import annotations

from shared_choices import (
    COUNTRY,
    DISASTERS,
    DONT_KNOW,
    MANAGERS,
    MEETING_FREQUENCY,
    NONE,
    NONE_ALONE,
    ONLY_NONE,
    OTHER,
    PRIORITIES,
    RELATIONSHIP,
    SHARE,
    SPECIFY_OTHER,
    TERMS,
    YES_NO,
)
from xlsform_table import (
    NOT_NEGATIVE,
    Form,
    Row,
    T,
    calculate,
    choice_list,
    count,
    group,
    minutes,
    note,
    percent,
    q,
)

VERSION = "2026112601"
YEAR_NOT_FUTURE = ". >= 1800 and . <= number(format-date(today(), '%Y'))"


def _sum(names: list[str]) -> str:
    return " + ".join(f"${{{n}}}" for n in names)


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
        constraint=f". >= 0 and . <= 100 and . + {_sum(owners[:-1])} = 100",
        msg=T("The ownership percentages must add up to 100.",
              "Les pourcentages de propriété doivent totaliser 100.",
              "As percentagens de propriedade devem somar 100.",
              "Asilimia za umiliki lazima zifike 100."),
    ))
    ownership.insert(-1, calculate("B13_Ownership_Known", _sum(owners[:-1])))
    ownership.append(calculate("B13_Ownership_Total", _sum(owners)))

    return group("section_B", T("B. Identification, land and tenure",
                                "B. Identification, terrain et statut foncier",
                                "B. Identificação, terra e posse",
                                "B. Utambulisho, ardhi na umiliki"), [
        q("geopoint", "B1_GPS", T("GPS location of the settlement centre",
                                  "Position GPS du centre du quartier",
                                  "Localização GPS do centro do bairro",
                                  "Mahali pa GPS katikati ya makazi")),
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
          constraint=f". >= {_sum(by_use)}",
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
        count_ref = f"${{F{n}_Count}}"
        has = f"{count_ref} > 0"
        rows += [
            count(f"F{n}_Count", T("{s}: how many?", "{s} : combien ?", "{s}: quantos?",
                                   "{s}: ngapi?").fmt(s=source), maximum=100000),
            q("integer", f"F{n}_Working",
              T("{s}: how many work?", "{s} : combien fonctionnent ?",
                "{s}: quantos funcionam?", "{s}: ngapi zinafanya kazi?").fmt(s=source),
              relevant=has,
              constraint=f". >= 0 and . <= ${{F{n}_Count}}",
              msg=T(f"Cannot be more than the {count_ref} counted.",
                    f"Pas plus que les {count_ref} comptés.",
                    f"Não pode ser mais do que os {count_ref} contados.",
                    f"Haiwezi kuzidi {count_ref} zilizohesabiwa.")),
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
          msg=T("From 0 to the number of households.", "De 0 au nombre de ménages.",
                "De 0 ao número de agregados.", "Kati ya 0 na idadi ya kaya.")),
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
            "Há um mercado informal perto?", "Je, kuna soko la kawaida karibu?")),
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
    rows.append(calculate("O8_Shops_Total", _sum([n for n, _ in SHOPS])))
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
ORDINALS = [
    T("First", "Première", "Primeira", "Ya kwanza"),
    T("Second", "Deuxième", "Segunda", "Ya pili"),
    T("Third", "Troisième", "Terceira", "Ya tatu"),
    T("Fourth", "Quatrième", "Quarta", "Ya nne"),
    T("Fifth", "Cinquième", "Quinta", "Ya tano"),
]


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
        title="SDI Know Your City settlement profile",
        version=VERSION,
        instance_name="concat(${B7_Settlement_Name_Community}, ', ', ${B5_City}, ' (', "
                      "${A1_Profile_Date}, ')')",
        survey=tuple(survey),
        choices=tuple(CHOICES),
    )

"""Texts and choice lists that more than one SDI form uses."""

from __future__ import annotations

from xlsform_table import T, choice_list

YES = T("Yes", "Oui", "Sim", "Ndiyo")
NO = T("No", "Non", "Não", "Hapana")
OTHER = T("Other", "Autre", "Outro", "Nyingine")
NONE = T("None", "Aucun", "Nenhum", "Hakuna")
DONT_KNOW = T("Don't know", "Ne sait pas", "Não sabe", "Sijui")
SPECIFY_OTHER = T("Please specify", "Précisez", "Especifique", "Tafadhali eleza")

#: For a select_multiple with a "none" choice: "none" must stand alone.
ONLY_NONE = T("'None' cannot be combined with other answers.",
              "« Aucun » ne peut pas être combiné avec d'autres réponses.",
              "'Nenhum' não pode ser combinado com outras respostas.",
              "'Hakuna' haliwezi kuchanganywa na majibu mengine.")
NONE_ALONE = "not(selected(., 'none') and count-selected(.) > 1)"

YES_NO = choice_list("yes_no", [("yes", YES), ("no", NO)])

#: Who runs a water point or toilet block (KYC `_Manager` answers).
MANAGERS = choice_list("manager", [
    ("municipality", T("Municipality", "Municipalité", "Município", "Manispaa")),
    ("utility", T("Water utility", "Régie des eaux", "Empresa de águas",
                  "Mamlaka ya maji")),
    ("community", T("Community committee", "Comité communautaire", "Comité comunitário",
                    "Kamati ya jamii")),
    ("private", T("Private owner", "Propriétaire privé", "Proprietário privado",
                  "Mmiliki binafsi")),
    ("ngo", T("NGO or church", "ONG ou église", "ONG ou igreja", "Shirika au kanisa")),
    ("nobody", T("Nobody", "Personne", "Ninguém", "Hakuna mtu")),
    ("other", OTHER),
])

#: Kinds of disaster asked about in the profile and the enumeration.
DISASTERS = [
    ("fires", T("Fires", "Incendies", "Incêndios", "Moto")),
    ("floods", T("Floods", "Inondations", "Cheias", "Mafuriko")),
    ("landslides", T("Landslides", "Glissements de terrain", "Deslizamentos",
                     "Maporomoko ya ardhi")),
    ("storms", T("Storms and strong winds", "Tempêtes et vents forts",
                 "Tempestades e ventos fortes", "Dhoruba na upepo mkali")),
    ("earthquakes", T("Earthquakes", "Tremblements de terre", "Sismos",
                      "Matetemeko ya ardhi")),
]

#: Development priorities (KYC names water_drainage ... land_tenure are historical).
PRIORITIES = choice_list("priority", [
    ("water_drainage", T("Water and drainage", "Eau et drainage", "Água e drenagem",
                         "Maji na mifereji")),
    ("sanitation_sewage", T("Sanitation and sewage", "Assainissement et égouts",
                            "Saneamento e esgotos", "Usafi na maji taka")),
    ("tenure_security", T("Security of tenure", "Sécurité foncière", "Segurança da posse",
                          "Usalama wa umiliki")),
    ("housing", T("Housing", "Logement", "Habitação", "Nyumba")),
    ("electricity", T("Electricity", "Électricité", "Electricidade", "Umeme")),
    ("land_tenure", T("Land title", "Titre foncier", "Título de terra", "Hati ya ardhi")),
    ("roads", T("Roads and paths", "Routes et chemins", "Estradas e caminhos",
                "Barabara na njia")),
    ("garbage", T("Garbage collection", "Collecte des ordures", "Recolha de lixo",
                  "Ukusanyaji wa taka")),
    ("health", T("Health care", "Santé", "Saúde", "Huduma za afya")),
    ("education", T("Schools", "Écoles", "Escolas", "Shule")),
    ("employment", T("Jobs and income", "Emploi et revenus", "Emprego e rendimento",
                     "Ajira na kipato")),
    ("safety", T("Safety and lighting", "Sécurité et éclairage", "Segurança e iluminação",
                 "Usalama na taa")),
    ("other", OTHER),
])

TERMS = choice_list("term", [
    ("short", T("Short term (within a year)", "Court terme (moins d'un an)",
                "Curto prazo (até um ano)", "Muda mfupi (ndani ya mwaka)")),
    ("medium", T("Medium term (1-3 years)", "Moyen terme (1-3 ans)", "Médio prazo (1-3 anos)",
                 "Muda wa kati (miaka 1-3)")),
    ("long", T("Long term (over 3 years)", "Long terme (plus de 3 ans)",
               "Longo prazo (mais de 3 anos)", "Muda mrefu (zaidi ya miaka 3)")),
])

#: "How many of them": used for renting, unemployment and similar shares.
SHARE = choice_list("share", [
    ("none", T("None", "Aucun", "Nenhum", "Hakuna")),
    ("few", T("A few", "Quelques-uns", "Poucos", "Wachache")),
    ("about_half", T("About half", "Environ la moitié", "Cerca de metade", "Karibu nusu")),
    ("most", T("Most", "La plupart", "A maioria", "Wengi")),
    ("all", T("All", "Tous", "Todos", "Wote")),
])

MEETING_FREQUENCY = choice_list("meeting_frequency", [
    ("weekly", T("Every week", "Chaque semaine", "Todas as semanas", "Kila wiki")),
    ("monthly", T("Every month", "Chaque mois", "Todos os meses", "Kila mwezi")),
    ("quarterly", T("Every three months", "Tous les trois mois", "De três em três meses",
                    "Kila miezi mitatu")),
    ("yearly", T("Once a year", "Une fois par an", "Uma vez por ano", "Mara moja kwa mwaka")),
    ("rarely", T("Rarely", "Rarement", "Raramente", "Mara chache")),
    ("never", T("Never", "Jamais", "Nunca", "Kamwe")),
])

RELATIONSHIP = choice_list("relationship", [
    ("good", T("Good: we work together", "Bonne : nous travaillons ensemble",
               "Boa: trabalhamos juntos", "Nzuri: tunafanya kazi pamoja")),
    ("fair", T("Fair: some contact", "Moyenne : quelques contacts", "Razoável: algum contacto",
               "Wastani: mawasiliano kiasi")),
    ("poor", T("Poor: conflict or no response", "Mauvaise : conflit ou pas de réponse",
               "Má: conflito ou sem resposta", "Mbaya: mgogoro au hakuna jibu")),
    ("none", T("No relationship", "Aucune relation", "Nenhuma relação", "Hakuna uhusiano")),
])

#: SDI countries; the name keeps the "CC_Name" shape of the historical `B3_Country` answers.
_COUNTRIES = [
    ("AO_Angola", "Angola", "Angola", "Angola", "Angola"),
    ("BJ_Benin", "Benin", "Bénin", "Benim", "Benin"),
    ("BW_Botswana", "Botswana", "Botswana", "Botsuana", "Botswana"),
    ("BR_Brazil", "Brazil", "Brésil", "Brasil", "Brazili"),
    ("BF_Burkina_Faso", "Burkina Faso", "Burkina Faso", "Burkina Faso", "Burkina Faso"),
    ("CM_Cameroon", "Cameroon", "Cameroun", "Camarões", "Kamerun"),
    ("CD_DR_Congo", "DR Congo", "RD Congo", "RD Congo", "Kongo (DRC)"),
    ("SZ_Eswatini", "Eswatini", "Eswatini", "Essuatíni", "Eswatini"),
    ("GH_Ghana", "Ghana", "Ghana", "Gana", "Ghana"),
    ("IN_India", "India", "Inde", "Índia", "India"),
    ("KE_Kenya", "Kenya", "Kenya", "Quénia", "Kenya"),
    ("LR_Liberia", "Liberia", "Libéria", "Libéria", "Liberia"),
    ("MW_Malawi", "Malawi", "Malawi", "Malawi", "Malawi"),
    ("MZ_Mozambique", "Mozambique", "Mozambique", "Moçambique", "Msumbiji"),
    ("NA_Namibia", "Namibia", "Namibie", "Namíbia", "Namibia"),
    ("NP_Nepal", "Nepal", "Népal", "Nepal", "Nepal"),
    ("NG_Nigeria", "Nigeria", "Nigeria", "Nigéria", "Nigeria"),
    ("PH_Philippines", "Philippines", "Philippines", "Filipinas", "Ufilipino"),
    ("SL_Sierra_Leone", "Sierra Leone", "Sierra Leone", "Serra Leoa", "Sierra Leone"),
    ("ZA_South_Africa", "South Africa", "Afrique du Sud", "África do Sul", "Afrika Kusini"),
    ("LK_Sri_Lanka", "Sri Lanka", "Sri Lanka", "Sri Lanka", "Sri Lanka"),
    ("TZ_Tanzania", "Tanzania", "Tanzanie", "Tanzânia", "Tanzania"),
    ("TG_Togo", "Togo", "Togo", "Togo", "Togo"),
    ("UG_Uganda", "Uganda", "Ouganda", "Uganda", "Uganda"),
    ("ZM_Zambia", "Zambia", "Zambie", "Zâmbia", "Zambia"),
    ("ZW_Zimbabwe", "Zimbabwe", "Zimbabwe", "Zimbabué", "Zimbabwe"),
]
COUNTRY = choice_list(
    "country", [(n, T(en, fr, pt, sw)) for n, en, fr, pt, sw in _COUNTRIES] + [("other", OTHER)]
)

#: Ordinals for "first priority" ...; Swahili agrees with kipaumbele (ki-vi class).
ORDINALS = [
    T("First", "Première", "Primeira", "cha kwanza"),
    T("Second", "Deuxième", "Segunda", "cha pili"),
    T("Third", "Troisième", "Terceira", "cha tatu"),
    T("Fourth", "Quatrième", "Quarta", "cha nne"),
    T("Fifth", "Cinquième", "Quinta", "cha tano"),
]


"""The KYC city-wide profile: one record per city per round, answered by the federation.

The counts here are what the federation knows; the server also aggregates the settlement
profiles of the city, so the two can be compared.
"""

from __future__ import annotations

from shared_choices import (
    COUNTRY,
    MEETING_FREQUENCY,
    ORDINALS,
    PRIORITIES,
    RELATIONSHIP,
    SPECIFY_OTHER,
    TERMS,
    YES_NO,
)
from xlsform_table import Form, Row, T, count, group, q

VERSION = "2026120601"
NOT_MORE_THAN_PROFILED = T(
    "Cannot be more than the settlements profiled.",
    "Pas plus que les quartiers profilés.",
    "Não pode ser mais do que os bairros com perfil.",
    "Haiwezi kuzidi makazi yaliyoorodheshwa.",
)


def survey() -> list[Row]:
    profiled = "${settlements_profiled}"
    priorities: list[Row] = []
    for n, ordinal in enumerate(ORDINALS[:3], start=1):
        priorities += [
            q("select_one priority", f"city_priority{n}",
              T("{o} city-wide priority", "{o} priorité de la ville",
                "{o} prioridade da cidade", "Kipaumbele {o} cha jiji").fmt(o=ordinal)),
            q("select_one term", f"city_priority{n}_term",
              T("When is it needed?", "Pour quand ?", "Para quando?", "Kinahitajika lini?")),
        ]
    return [
        *group("city", T("City", "Ville", "Cidade", "Jiji"), [
            q("date", "profile_date", T("Date of profiling", "Date du profilage",
                                        "Data do perfil", "Tarehe ya kuorodhesha"),
              constraint=". <= today()",
              msg=T("The date cannot be in the future.", "La date ne peut pas être future.",
                    "A data não pode ser no futuro.", "Tarehe haiwezi kuwa ya baadaye.")),
            q("text", "city_name", T("City", "Ville", "Cidade", "Jiji")),
            q("select_one country", "country", T("Country", "Pays", "País", "Nchi")),
            q("text", "country_other", SPECIFY_OTHER, relevant="${country} = 'other'"),
            q("text", "federation", T("Federation", "Fédération", "Federação", "Shirikisho")),
            q("text", "history", T("History of informal settlements in the city",
                                   "Histoire des quartiers informels de la ville",
                                   "História dos bairros informais da cidade",
                                   "Historia ya makazi holela jijini"),
              required=False, appearance="multiline"),
        ]),
        *group("settlements", T("Settlements", "Quartiers", "Bairros", "Makazi"), [
            count("settlements_known", T("Informal settlements known in the city",
                                         "Quartiers informels connus",
                                         "Bairros informais conhecidos",
                                         "Makazi holela yanayojulikana"), maximum=10000),
            q("integer", "settlements_profiled",
              T("Settlements profiled so far", "Quartiers déjà profilés",
                "Bairros já com perfil", "Makazi yaliyoorodheshwa hadi sasa"),
              constraint=". >= 0 and . <= ${settlements_known}",
              msg=T("Cannot be more than the settlements known.",
                    "Pas plus que les quartiers connus.",
                    "Não pode ser mais do que os bairros conhecidos.",
                    "Haiwezi kuzidi makazi yanayojulikana.")),
            q("integer", "settlements_declared",
              T("Profiled settlements that are declared or legal",
                "Quartiers profilés déclarés ou légaux",
                "Bairros com perfil declarados ou legais",
                "Makazi yaliyotangazwa au halali"),
              constraint=f". >= 0 and . <= {profiled}", msg=NOT_MORE_THAN_PROFILED),
            q("integer", "settlements_resettled",
              T("Profiled settlements that were resettled", "Quartiers profilés relogés",
                "Bairros com perfil reassentados", "Makazi yaliyohamishwa"),
              constraint=f". >= 0 and . + ${{settlements_declared}} <= {profiled}",
              msg=T("Declared and resettled together cannot exceed the profiled.",
                    "Déclarés et relogés ensemble ne peuvent dépasser les profilés.",
                    "Declarados e reassentados juntos não podem exceder os com perfil.",
                    "Yaliyotangazwa na yaliyohamishwa hayawezi kuzidi yaliyoorodheshwa.")),
            q("integer", "settlements_eviction_threat",
              T("Profiled settlements under eviction threat",
                "Quartiers profilés menacés d'expulsion",
                "Bairros com perfil ameaçados de despejo",
                "Makazi yaliyo chini ya tishio la kufukuzwa"),
              constraint=f". >= 0 and . <= {profiled}", msg=NOT_MORE_THAN_PROFILED),
            q("integer", "city_population", T("Population of the city", "Population de la ville",
                                              "População da cidade", "Idadi ya watu wa jiji"),
              required=False, constraint=". >= 1000 and . <= 50000000",
              msg=T("From 1,000 to 50 million.", "De 1 000 à 50 millions.",
                    "De 1 000 a 50 milhões.", "Kati ya 1,000 na milioni 50.")),
            q("integer", "informal_population",
              T("Estimated population living in informal settlements",
                "Population estimée des quartiers informels",
                "População estimada dos bairros informais",
                "Makadirio ya watu wanaoishi makazi holela"),
              constraint=". >= 0 and (${city_population} = '' or . <= ${city_population})",
              msg=T("Cannot be more than the city's population.",
                    "Pas plus que la population de la ville.",
                    "Não pode ser mais do que a população da cidade.",
                    "Haiwezi kuzidi idadi ya watu wa jiji.")),
        ]),
        *group("engagement", T("Working with the city", "Relations avec la ville",
                               "Relação com a cidade", "Kufanya kazi na jiji"), [
            q("select_one yes_no", "city_forum",
              T("Is there a forum where the federation meets the city?",
                "Existe-t-il un forum entre la fédération et la ville ?",
                "Há um fórum onde a federação se reúne com a cidade?",
                "Je, kuna jukwaa la shirikisho kukutana na jiji?")),
            q("text", "city_forum_name", T("Name of the forum", "Nom du forum",
                                           "Nome do fórum", "Jina la jukwaa"),
              relevant="${city_forum} = 'yes'", required=False),
            q("select_one meeting_frequency", "city_meeting_frequency",
              T("How often does the federation meet the city?",
                "À quelle fréquence la fédération rencontre-t-elle la ville ?",
                "Com que frequência a federação se reúne com a cidade?",
                "Shirikisho hukutana na jiji mara ngapi?")),
            q("select_one relationship", "city_relationship",
              T("Relationship with the city", "Relation avec la ville",
                "Relação com a cidade", "Uhusiano na jiji")),
            q("select_one yes_no", "agreement_signed",
              T("Is there a signed agreement (MoU) with the city?",
                "Y a-t-il un accord signé avec la ville ?",
                "Há um acordo assinado com a cidade?",
                "Je, kuna makubaliano yaliyosainiwa na jiji?")),
            count("savings_groups", T("Savings groups in the city", "Groupes d'épargne",
                                      "Grupos de poupança", "Vikundi vya akiba jijini"),
                  maximum=100000),
        ]),
        *group("priorities", T("Priorities", "Priorités", "Prioridades", "Vipaumbele"),
               priorities),
    ]


def build() -> Form:
    return Form(
        form_id="sdi_city_profile",
        title=T("SDI Know Your City city profile", "Profil de ville SDI Know Your City",
                "Perfil de cidade SDI Know Your City", "Wasifu wa jiji wa SDI Know Your City"),
        version=VERSION,
        instance_name="concat(${city_name}, ' (', ${profile_date}, ')')",
        survey=tuple(survey()),
        choices=(*YES_NO, *COUNTRY, *MEETING_FREQUENCY, *RELATIONSHIP, *PRIORITIES, *TERMS),
    )

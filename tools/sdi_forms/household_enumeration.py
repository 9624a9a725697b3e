"""Household enumeration: one record per household, linked to its structure.

Consent comes first: when a household declines, the whole `household` group is not
relevant (nothing else may be recorded) and a note thanks them. The members roster is
a repeat whose length must match the number of people given first, and household size
and children under five are computed from it, not typed.
"""

from __future__ import annotations

from shared_choices import DISASTERS, NONE, NONE_ALONE, ONLY_NONE, OTHER, SPECIFY_OTHER, YES_NO
from structure_numbering import STRUCTURE_NUMBER, STRUCTURE_NUMBER_LABEL, STRUCTURE_NUMBER_MSG
from xlsform_table import (
    NOT_NEGATIVE,
    Form,
    Row,
    T,
    calculate,
    choice_list,
    count,
    group,
    note,
    q,
    repeat,
)

VERSION = "2026120601"
CONSENTED = "${consent} = 'yes'"


def member_rows() -> list[Row]:
    return [
        q("text", "member_name", T("Name", "Nom", "Nome", "Jina")),
        q("integer", "member_age", T("Age in years", "Âge en années", "Idade em anos",
                                     "Umri kwa miaka"),
          hint=T("0 for a baby under one year.", "0 pour un bébé de moins d'un an.",
                 "0 para um bebé com menos de um ano.", "0 kwa mtoto chini ya mwaka mmoja."),
          constraint=". >= 0 and . <= 120",
          msg=T("An age from 0 to 120.", "Un âge de 0 à 120.", "Uma idade de 0 a 120.",
                "Umri kati ya 0 na 120.")),
        q("select_one sex", "member_sex", T("Sex", "Sexe", "Sexo", "Jinsia")),
        q("select_one relationship", "relationship",
          T("Relationship to the head", "Lien avec le chef de ménage",
            "Relação com o chefe do agregado", "Uhusiano na mkuu wa kaya")),
        q("select_one schooling", "schooling",
          T("Highest schooling", "Niveau d'études", "Escolaridade",
            "Kiwango cha juu cha elimu"),
          relevant="${member_age} >= 5"),
        q("select_one occupation", "occupation",
          T("Main occupation", "Occupation principale", "Ocupação principal", "Kazi kuu"),
          relevant="${member_age} >= 15"),
        # Per-member flags, summed across the repeat below (sum() over a repeat field).
        calculate("is_under_5", "if(${member_age} < 5, 1, 0)"),
        calculate("is_head", "if(${relationship} = 'head', 1, 0)"),
    ]


def household_rows() -> list[Row]:
    tenant = "${tenure} = 'tenant'"
    return [
        q("text", "head_name", T("Name of the head of household", "Nom du chef de ménage",
                                 "Nome do chefe do agregado", "Jina la mkuu wa kaya")),
        q("text", "phone", T("Phone number", "Numéro de téléphone", "Número de telefone",
                             "Namba ya simu"),
          required=False,
          constraint="regex(., '^\\+?[0-9]{9,15}$')",
          msg=T("9 to 15 digits, may start with +.", "9 à 15 chiffres, peut commencer par +.",
                "9 a 15 algarismos, pode começar por +.",
                "Tarakimu 9 hadi 15, inaweza kuanza na +.")),
        q("integer", "members_count",
          T("How many people live in this household?",
            "Combien de personnes vivent dans ce ménage ?",
            "Quantas pessoas vivem neste agregado?", "Watu wangapi wanaishi katika kaya hii?"),
          hint=T("Including the head.", "Y compris le chef.", "Incluindo o chefe.",
                 "Pamoja na mkuu wa kaya."),
          constraint=". >= 1 and . <= 40",
          msg=T("From 1 to 40 people.", "De 1 à 40 personnes.", "De 1 a 40 pessoas.",
                "Kati ya watu 1 na 40.")),
        *repeat("members", T("Household member", "Membre du ménage", "Membro do agregado",
                             "Mwanakaya"), member_rows(), repeat_count="${members_count}"),
        calculate("household_size", "count(${members})"),
        calculate("children_under_5", "sum(${is_under_5})"),
        calculate("heads_listed", "sum(${is_head})"),
        note("head_check", T("Check the roster: exactly one person should be the head "
                             "(now ${heads_listed}).",
                             "Vérifiez la liste : une seule personne doit être chef "
                             "(actuellement ${heads_listed}).",
                             "Verifique a lista: só uma pessoa deve ser o chefe "
                             "(agora ${heads_listed}).",
                             "Kagua orodha: mtu mmoja tu awe mkuu wa kaya "
                             "(sasa ${heads_listed})."),
             relevant="${heads_listed} != 1"),
        q("select_one tenure", "tenure",
          T("Does the household own or rent this home?", "Le ménage est-il propriétaire "
            "ou locataire ?", "O agregado é dono ou arrenda a casa?",
            "Je, kaya inamiliki au inapanga nyumba hii?")),
        q("text", "tenure_other", SPECIFY_OTHER, relevant="${tenure} = 'other'"),
        q("decimal", "monthly_rent", T("Rent per month", "Loyer mensuel", "Renda mensal",
                                       "Kodi kwa mwezi"),
          hint=T("In local currency.", "En monnaie locale.", "Em moeda local.",
                 "Kwa fedha ya nchi."),
          relevant=tenant, constraint=". > 0",
          msg=T("A tenant pays more than 0.", "Un locataire paie plus de 0.",
                "Um inquilino paga mais de 0.", "Mpangaji hulipa zaidi ya 0.")),
        count("years_in_settlement", T("Years living in this settlement",
                                       "Années dans ce quartier", "Anos neste bairro",
                                       "Miaka katika makazi haya"), maximum=100),
        q("select_one water_source", "water_source",
          T("Main source of drinking water", "Source principale d'eau de boisson",
            "Principal fonte de água para beber", "Chanzo kikuu cha maji ya kunywa")),
        q("decimal", "water_cost_month", T("Spent on water per month",
                                           "Dépense mensuelle pour l'eau",
                                           "Gasto mensal com água",
                                           "Matumizi ya maji kwa mwezi"),
          required=False, constraint=". >= 0", msg=NOT_NEGATIVE),
        q("select_one toilet", "toilet", T("Toilet the household uses most",
                                           "Toilettes les plus utilisées",
                                           "Casa de banho mais usada",
                                           "Choo kinachotumiwa zaidi na kaya")),
        q("select_one electricity", "electricity",
          T("Electricity in the home", "Électricité dans le logement", "Electricidade em casa",
            "Umeme nyumbani")),
        q("select_one income_band", "income_band",
          T("Household income per month", "Revenu mensuel du ménage",
            "Rendimento mensal do agregado", "Kipato cha kaya kwa mwezi")),
        q("select_multiple disaster", "disasters",
          T("Disasters the household lived through here", "Catastrophes vécues ici",
            "Desastres vividos aqui", "Maafa yaliyoikumba kaya hapa"),
          constraint=NONE_ALONE, msg=ONLY_NONE),
        q("select_one yes_no", "evicted_before",
          T("Has the household ever been evicted?", "Le ménage a-t-il déjà été expulsé ?",
            "O agregado já foi despejado?", "Je, kaya imewahi kufukuzwa?")),
        q("integer", "evictions_count", T("How many times?", "Combien de fois ?",
                                          "Quantas vezes?", "Mara ngapi?"),
          relevant="${evicted_before} = 'yes'", constraint=". >= 1 and . <= 50",
          msg=T("From 1 to 50.", "De 1 à 50.", "De 1 a 50.", "Kati ya 1 na 50.")),
        q("select_one yes_no", "savings_member",
          T("Is someone in a federation savings group?",
            "Quelqu'un est-il membre d'un groupe d'épargne ?",
            "Alguém pertence a um grupo de poupança?",
            "Je, kuna mwanakaya katika kikundi cha akiba?")),
        q("text", "aspirations", T("What would the household most like to change?",
                                   "Que voudrait le ménage changer en priorité ?",
                                   "O que o agregado mais gostaria de mudar?",
                                   "Kaya ingependa kubadilisha nini zaidi?"),
          required=False, appearance="multiline"),
    ]


def survey() -> list[Row]:
    return [
        q("text", "structure_id", T("Structure record", "Fiche de la construction",
                                    "Registo da construção", "Kumbukumbu ya jengo"),
          hint=T("Filled in by the app when you start from a structure.",
                 "Rempli par l'application quand vous partez d'une construction.",
                 "Preenchido pela aplicação ao começar a partir de uma construção.",
                 "Hujazwa na programu ukianzia kwenye jengo."),
          required=False),
        q("text", "structure_number", STRUCTURE_NUMBER_LABEL,
          constraint=STRUCTURE_NUMBER, msg=STRUCTURE_NUMBER_MSG),
        q("integer", "household_in_structure",
          T("Household number in this structure", "Numéro du ménage dans la construction",
            "Número do agregado na construção", "Namba ya kaya ndani ya jengo"),
          hint=T("1 for the first household, 2 for the second...",
                 "1 pour le premier ménage, 2 pour le deuxième...",
                 "1 para o primeiro agregado, 2 para o segundo...",
                 "1 kwa kaya ya kwanza, 2 kwa ya pili..."),
          constraint=". >= 1 and . <= 100",
          msg=T("From 1 to 100.", "De 1 à 100.", "De 1 a 100.", "Kati ya 1 na 100.")),
        note("consent_statement", T(
            "Read this aloud: We are members of the federation. We are counting every "
            "household in this settlement so that we can plan and negotiate with the city "
            "together. It takes about 20 minutes. You may refuse, or skip any question. "
            "Names stay with the federation and are never given to officials.",
            "Lisez à voix haute : Nous sommes membres de la fédération. Nous recensons chaque "
            "ménage du quartier pour planifier et négocier ensemble avec la ville. Cela prend "
            "environ 20 minutes. Vous pouvez refuser, ou ne pas répondre à une question. Les "
            "noms restent à la fédération et ne sont jamais donnés aux autorités.",
            "Leia em voz alta: Somos membros da federação. Estamos a contar todos os agregados "
            "do bairro para planear e negociar juntos com a cidade. Demora cerca de 20 minutos. "
            "Pode recusar, ou não responder a qualquer pergunta. Os nomes ficam com a "
            "federação e nunca são dados às autoridades.",
            "Soma kwa sauti: Sisi ni wanachama wa shirikisho. Tunahesabu kila kaya katika "
            "makazi haya ili tupange na kujadiliana na jiji pamoja. Inachukua kama dakika 20. "
            "Unaweza kukataa, au kuruka swali lolote. Majina yanabaki kwa shirikisho na "
            "hayatolewi kwa maafisa.")),
        q("select_one yes_no", "consent",
          T("Does the household agree to take part?", "Le ménage accepte-t-il de participer ?",
            "O agregado aceita participar?", "Je, kaya inakubali kushiriki?")),
        note("consent_refused", T("Thank the household for its time. Do not record anything "
                                  "else.",
                                  "Remerciez le ménage pour son temps. N'enregistrez rien "
                                  "d'autre.",
                                  "Agradeça ao agregado pelo seu tempo. Não registe mais nada.",
                                  "Ishukuru kaya kwa muda wake. Usiandike kitu kingine."),
             relevant="${consent} = 'no'"),
        *group("household", T("Household", "Ménage", "Agregado", "Kaya"), household_rows(),
               relevant=CONSENTED),
    ]


def build() -> Form:
    return Form(
        form_id="sdi_household_enumeration",
        title=T("SDI household enumeration", "Dénombrement des ménages SDI",
                "Recenseamento de agregados SDI", "Uhesabuji wa kaya wa SDI"),
        version=VERSION,
        instance_name="concat(${structure_number}, '/', ${household_in_structure}, ' ', "
                      "${head_name})",
        survey=tuple(survey()),
        choices=(
            *YES_NO,
            *choice_list("sex", [
                ("female", T("Female", "Féminin", "Feminino", "Mwanamke")),
                ("male", T("Male", "Masculin", "Masculino", "Mwanamume")),
            ]),
            *choice_list("relationship", [
                ("head", T("Head", "Chef de ménage", "Chefe", "Mkuu wa kaya")),
                ("spouse", T("Spouse or partner", "Conjoint", "Cônjuge", "Mwenzi")),
                ("child", T("Son or daughter", "Fils ou fille", "Filho ou filha",
                            "Mwana")),
                ("grandchild", T("Grandchild", "Petit-enfant", "Neto", "Mjukuu")),
                ("parent", T("Parent", "Parent", "Pai ou mãe", "Mzazi")),
                ("sibling", T("Brother or sister", "Frère ou sœur", "Irmão ou irmã",
                              "Ndugu")),
                ("other_relative", T("Other relative", "Autre parent", "Outro familiar",
                                     "Ndugu mwingine")),
                ("non_relative", T("Not related", "Sans lien de parenté", "Sem parentesco",
                                   "Si ndugu")),
            ]),
            *choice_list("schooling", [
                ("none", T("Never went to school", "Jamais scolarisé", "Nunca estudou",
                           "Hajawahi kusoma")),
                ("primary", T("Primary", "Primaire", "Primário", "Msingi")),
                ("secondary", T("Secondary", "Secondaire", "Secundário", "Sekondari")),
                ("tertiary", T("College or university", "Supérieur", "Ensino superior",
                               "Chuo")),
            ]),
            *choice_list("occupation", [
                ("employed", T("Employed", "Salarié", "Assalariado", "Ameajiriwa")),
                ("self_employed", T("Own business", "À son compte", "Por conta própria",
                                    "Biashara yake")),
                ("casual", T("Casual work", "Travail journalier", "Biscates",
                             "Kibarua")),
                ("unemployed", T("Looking for work", "Cherche du travail",
                                 "À procura de trabalho", "Anatafuta kazi")),
                ("student", T("Student", "Élève ou étudiant", "Estudante", "Mwanafunzi")),
                ("home", T("Home duties", "Au foyer", "Doméstico", "Kazi za nyumbani")),
                ("retired", T("Retired or unable", "Retraité ou inapte",
                              "Reformado ou incapaz", "Mstaafu au hawezi")),
                ("other", OTHER),
            ]),
            *choice_list("tenure", [
                ("owner", T("Owner", "Propriétaire", "Proprietário", "Mmiliki")),
                ("tenant", T("Tenant (pays rent)", "Locataire (paie un loyer)",
                             "Inquilino (paga renda)", "Mpangaji (analipa kodi)")),
                ("rent_free", T("Lives free of rent", "Logé gratuitement",
                                "Vive sem pagar renda", "Anaishi bila kulipa kodi")),
                ("other", OTHER),
            ]),
            *choice_list("water_source", [
                ("own_tap", T("Own tap", "Robinet privé", "Torneira própria",
                              "Bomba lake")),
                ("shared_tap", T("Shared or communal tap", "Robinet partagé",
                                 "Torneira partilhada", "Bomba la pamoja")),
                ("borehole", T("Borehole or hand pump", "Forage ou pompe",
                               "Furo ou bomba manual", "Kisima kirefu au pampu")),
                ("well", T("Well or spring", "Puits ou source", "Poço ou nascente",
                           "Kisima au chemchemi")),
                ("kiosk", T("Water kiosk", "Kiosque à eau", "Quiosque de água",
                            "Kibanda cha maji")),
                ("vendor", T("Vendor or truck", "Vendeur ou camion", "Vendedor ou camião",
                             "Mchuuzi au lori")),
                ("other", OTHER),
            ]),
            *choice_list("toilet", [
                ("own_flush", T("Own flush toilet", "Toilettes privées à chasse",
                                "Casa de banho própria com autoclismo",
                                "Choo chake cha kuvuta maji")),
                ("own_pit", T("Own pit latrine", "Latrine privée", "Latrina própria",
                              "Choo chake cha shimo")),
                ("shared", T("Shared with neighbours", "Partagées avec les voisins",
                             "Partilhada com vizinhos", "Cha kushiriki na majirani")),
                ("communal_block", T("Communal block", "Bloc communautaire",
                                     "Bloco comunitário", "Choo cha jamii")),
                ("pay_toilet", T("Pay toilet", "Toilettes payantes", "Casa de banho paga",
                                 "Choo cha kulipia")),
                ("bucket_bag", T("Bucket or bag", "Seau ou sac", "Balde ou saco",
                                 "Ndoo au mfuko")),
                ("open", T("Open defecation", "À l'air libre", "Ar livre", "Wazi")),
            ]),
            *choice_list("electricity", [
                ("grid_metered", T("Grid, own meter", "Réseau, compteur propre",
                                   "Rede, contador próprio", "Gridi, mita yake")),
                ("grid_shared", T("Grid, shared or informal", "Réseau, partagé ou informel",
                                  "Rede, partilhada ou informal", "Gridi, ya kushiriki")),
                ("solar", T("Solar", "Solaire", "Solar", "Jua")),
                ("none", NONE),
            ]),
            *choice_list("income_band", [
                ("under_half_min_wage", T("Less than half the minimum wage",
                                          "Moins de la moitié du salaire minimum",
                                          "Menos de metade do salário mínimo",
                                          "Chini ya nusu ya kima cha chini")),
                ("half_to_one_min_wage", T("Half to one minimum wage",
                                           "De la moitié à un salaire minimum",
                                           "De metade a um salário mínimo",
                                           "Nusu hadi kima kimoja cha chini")),
                ("one_to_two_min_wage", T("One to two minimum wages",
                                          "Un à deux salaires minimums",
                                          "Um a dois salários mínimos",
                                          "Kima kimoja hadi viwili vya chini")),
                ("over_two_min_wage", T("More than two minimum wages",
                                        "Plus de deux salaires minimums",
                                        "Mais de dois salários mínimos",
                                        "Zaidi ya vima viwili vya chini")),
                ("refused", T("Prefers not to say", "Préfère ne pas répondre",
                              "Prefere não dizer", "Hapendi kusema")),
            ]),
            *choice_list("disaster", [*DISASTERS, ("none", NONE)]),
        ),
    )

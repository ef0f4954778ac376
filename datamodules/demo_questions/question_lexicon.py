"""The lexicon of the embedded French/English question corpus (see ``embedded_questions``): its data tables.

Tables are text blocks parsed at import; ``_`` is a space inside a word. Noun lines read ``tags: entry; entry``, an
entry being ``french[/plural] gender english[/plural] [more tags]`` (regular plurals are derived). Verb lines read
``infinitive | je tu il nous vous ils | participle auxiliary | base past -ing [particle] | tags``; the present may be
``~`` (regular -er, -ir like finir, -re like vendre), ``~è`` (achète, préfère) or ``=prendre`` (like prendre), the
participle ``~`` (regular), and the English third person is derived. Tags give the tenses (P présent, C passé
composé, I imparfait, F futur proche), the English aspect (prog "is eating", simple "wants") and the uses: object
kinds, where/when/why, ``s:event``-style subjects. Also here: first names, time expressions, cities, countries,
languages and fixed phrases. The word types are in ``question_words``, the rules deriving regular forms in
``french_morphology`` and ``english_morphology``.
"""
from __future__ import annotations

from datamodules.demo_questions.english_morphology import en_plural, third_person
from datamodules.demo_questions.french_morphology import fr_plural, regular_participle, regular_present
from datamodules.demo_questions.question_words import Adjective, Noun, Verb

_NOUNS = """
obj color: livre m book read fav; stylo m pen; sac m bag; parapluie m umbrella; téléphone m phone; vélo m bike
obj color: ordinateur m computer; lampe f lamp break; voiture f car fav; valise f suitcase open; tasse f cup break
obj color: guitare f guitar; portefeuille m wallet; ballon m ball; cahier m notebook; porte f door open
obj: clé f key; cadeau m gift open send; billet m ticket; boîte f box open; miroir m mirror break; jouet m toy
obj: horloge f clock break; tableau m painting; journal m newspaper read; magazine m magazine read; photo f photo send
break: verre m glass; assiette f plate color; fenêtre f window open; bouteille f bottle open
read write: lettre f letter send open; message m message send; roman m novel; poème m poem; histoire f story
read write: article m article; recette f recipe; carte_postale/cartes_postales f postcard send
sing write: chanson f song fav
watch: film m movie fav event; émission f show fav; documentaire m documentary; dessin_animé/dessins_animés m cartoon
wear color obj: robe f dress; chemise f shirt; chapeau m hat; manteau m coat; veste f jacket; écharpe f scarf/scarves
wear color obj: jupe f skirt; pull m sweater; cravate f tie; chaussure f shoe; casquette f cap; montre f watch
food: pomme f apple; poire f pear; banane f banana; orange f orange; pêche f peach; cerise f cherry
food: fraise f strawberry; tomate f tomato/tomatoes; carotte f carrot; sandwich/sandwichs m sandwich; biscuit m cookie
food: œuf m egg
food cook: gâteau m cake; tarte f pie; pizza f pizza; crêpe f crepe
mass: pain m bread; fromage m cheese; viande f meat; salade f salad; chocolat m chocolate; confiture f jam
mass: beurre m butter; glace f ice_cream; riz m rice cook; poisson m fish cook; soupe f soup cook; poulet m chicken cook
mass drink: eau f water; café m coffee; thé m tea; lait m milk; jus_d'orange m orange_juice; bière f beer; vin m wine
mass drink: limonade f lemonade; chocolat_chaud m hot_chocolate
place: gare f station; plage f beach; hôpital m hospital; hôtel m hotel; cinéma m cinema; aéroport m airport
place: bureau m office; stade m stadium; université f university; théâtre m theater; école f school bare
place opens: banque f bank; marché m market; parc m park; bibliothèque f library; pharmacie f pharmacy
place opens: boulangerie f bakery; piscine f swimming_pool; supermarché m supermarket; poste f post_office
place opens: mairie f town_hall; restaurant m restaurant fav; musée m museum visit fav; zoo m zoo visit
place visit: église f church bare; château m castle; cathédrale f cathedral
event: concert m concert; cours/cours m class; match/matchs m game watch; réunion f meeting; fête f party
event: spectacle m show; examen m exam; cérémonie f ceremony; mariage m wedding; pièce f play; conférence f lecture
ride: train m train; bus/bus m bus; avion m plane; bateau m boat; taxi m taxi; tram m tram
fav: couleur f color; plat m dish; fruit m fruit; sport m sport; saison f season; jour m day; animal m animal
fav: ville f city; pays m country; boisson f drink; groupe m band; dessert m dessert; légume m vegetable
fav: jeu m game; matière f subject; fleur f flower; mois m month; langue f language
home: quartier m neighborhood; rue f street
favp: acteur m actor; actrice f actress; chanteur m singer; chanteuse f singer; écrivain m writer; peintre m painter
kin: frère m brother; sœur f sister; père m father one; mère f mother one; oncle m uncle; tante f aunt
kin: cousin m cousin; cousine f cousin; fils/fils m son; fille f daughter; mari m husband one; ami m friend
kin: grand-père/grands-pères m grandfather; grand-mère/grands-mères f grandmother; femme f wife/wives one
kin: amie f friend; collègue m colleague
role: patron m boss kin; voisin m neighbor kin; voisine f neighbor kin; enfant m child/children kin
role: professeur m teacher; médecin m doctor; serveur m waiter; serveuse f waitress; chauffeur m driver
role: étudiant m student; étudiante f student; garçon m boy; policier m police_officer; infirmière f nurse
role: avocat m lawyer; boulanger m baker; facteur m mail_carrier; directeur m director; musicien m musician
animal color: chat m cat; chien m dog; cheval m horse; oiseau m bird; lapin m rabbit; souris/souris f mouse/mice
animal: vache f cow; canard m duck; tortue f turtle; poule f hen; perroquet m parrot; cochon m pig
animal wild: éléphant m elephant; singe m monkey; serpent m snake; lion m lion; renard m fox; loup m wolf/wolves
animal wild: ours m bear
"""

_VERBS = """
manger | ~ | ~ avoir | eat ate eating | PCIF prog que food mass where when
boire | bois bois boit buvons buvez boivent | bu avoir | drink drank drinking | PCIF prog que drink
acheter | ~è | ~ avoir | buy bought buying | PCF prog que obj food
lire | lis lis lit lisons lisez lisent | lu avoir | read read reading | PCIF prog que read
écrire | écris écris écrit écrivons écrivez écrivent | écrit avoir | write wrote writing | PCIF prog que write
regarder | ~ | ~ avoir | watch watched watching | PCIF prog que watch
chercher | ~ | ~ avoir | look looked looking for | PCIF prog que who obj
vouloir | veux veux veut voulons voulez veulent | voulu avoir | want wanted wanting | PI simple que obj food
aimer | ~ | ~ avoir | like liked liking | PC simple watch read sing
préférer | ~è | ~ avoir | prefer preferred preferring | PI simple que obj food watch nowho
perdre | ~ | ~ avoir | lose lost losing | C prog que obj
trouver | ~ | ~ avoir | find found finding | C prog que obj
oublier | ~ | ~ avoir | forget forgot forgetting | C prog que obj
voir | vois vois voit voyons voyez voient | vu avoir | see saw seeing | PCF simple que who watch animal
prendre | prends prends prend prenons prenez prennent | pris avoir | take took taking | PCF prog que ride obj
vendre | ~ | ~ avoir | sell sold selling | PCIF prog que obj
apporter | ~ | ~ avoir | bring brought bringing | PCF prog que food obj
choisir | ~ | ~ avoir | choose chose choosing | PCF prog que obj food
chanter | ~ | ~ avoir | sing sang singing | PCIF prog que sing
ouvrir | ouvre ouvres ouvre ouvrons ouvrez ouvrent | ouvert avoir | open opened opening | PCF prog open s:opens
envoyer | envoie envoies envoie envoyons envoyez envoient | ~ avoir | send sent sending | PCF prog que send
porter | ~ | ~ avoir | wear wore wearing | PCIF prog que wear
casser | ~ | ~ avoir | break broke breaking | C prog que break
cuisiner | ~ | ~ avoir | cook cooked cooking | PCIF prog que cook
faire | fais fais fait faisons faites font | fait avoir | do did doing | PCIF prog que
visiter | ~ | ~ avoir | visit visited visiting | PCF prog que visit
apprendre | =prendre | appris avoir | learn learned learning | PCF prog que
appeler | appelle appelles appelle appelons appelez appellent | ~ avoir | call called calling | PCF prog who
inviter | ~ | ~ avoir | invite invited inviting | PCF prog who
attendre | ~ | ~ avoir | wait waited waiting for | PCI prog who ride
aider | ~ | ~ avoir | help helped helping | PCF prog who
rencontrer | ~ | ~ avoir | meet met meeting | CF prog who
détester | ~ | ~ avoir | hate hated hating | P simple
mettre | mets mets met mettons mettez mettent | mis avoir | put put putting | C prog
aller | vais vas va allons allez vont | allé être | go went going | PCIF prog where
partir | pars pars part partons partez partent | parti être | leave left leaving | PCF prog when why neg s:ride
arriver | ~ | ~ être | arrive arrived arriving | PCF prog when s:ride
venir | viens viens vient venons venez viennent | venu être | come came coming | P prog
revenir | =venir | revenu être | come came coming back | PCF prog when why neg
rentrer | ~ | ~ être | go went going home | PCF prog when why neg
sortir | sors sors sort sortons sortez sortent | sorti être | go went going out | PCF prog when why neg
rester | ~ | ~ être | stay stayed staying | PCF prog where why neg
dormir | dors dors dort dormons dormez dorment | dormi avoir | sleep slept sleeping | PCIF prog where why neg
travailler | ~ | ~ avoir | work worked working | PI simple where when
habiter | ~ | ~ avoir | live lived living | PI simple where
pleurer | ~ | ~ avoir | cry cried crying | PCI prog why
rire | ris ris rit rions riez rient | ri avoir | laugh laughed laughing | PCI prog why
crier | ~ | ~ avoir | shout shouted shouting | PCI prog why
mentir | mens mens ment mentons mentez mentent | menti avoir | lie lied lying | PC prog why
courir | cours cours court courons courez courent | couru avoir | run ran running | PCI prog where why
étudier | ~ | ~ avoir | study studied studying | PCI simple where
dîner | ~ | ~ avoir | have had having dinner | PCF prog where when
déménager | ~ | ~ avoir | move moved moving | PCF prog when why
nager | ~ | ~ avoir | swim swam swimming | PC simple where
jouer | ~ | ~ avoir | play played playing | PCI prog where
parler | ~ | ~ avoir | talk talked talking | PCI prog
penser | ~ | ~ avoir | think thought thinking | PCI prog
danser | ~ | ~ avoir | dance danced dancing | PCF prog
avoir besoin | ai as a avons avez ont | eu avoir | need needed needing | PI simple
avoir peur | ai as a avons avez ont | eu avoir | be_afraid | PI simple
commencer | ~ | ~ avoir | start started starting | PCF simple s:event
finir | ~ | ~ avoir | end ended ending | PCF simple s:event
fermer | ~ | ~ avoir | close closed closing | PCF simple s:opens
se lever | ~è | levé être | get got getting up | PCF simple
se coucher | ~ | ~ être | go went going to bed | PCF simple
se réveiller | ~ | ~ être | wake woke waking up | PCF simple
s'habiller | ~ | ~ être | get got getting dressed | PCF simple
"""

_MODALS = """
vouloir | veux veux veut voulons voulez veulent | voulu avoir | do did want_to | PI
pouvoir | peux peux peut pouvons pouvez peuvent | pu avoir | can could _ | PI
devoir | dois dois doit devons devez doivent | dû avoir | do did have_to | PI
"""

_ADJECTIVES = """
rouge rouge rouges rouges red; bleu bleue bleus bleues blue; vert verte verts vertes green
jaune jaune jaunes jaunes yellow; noir noire noirs noires black; blanc blanche blancs blanches white
gris grise gris grises gray; marron marron marron marron brown; rose rose roses roses pink
violet violette violets violettes purple; neuf neuve neufs neuves new; cher chère chers chères expensive
lourd lourde lourds lourdes heavy; cassé cassée cassés cassées broken; ancien ancienne anciens anciennes old
"""

_STATES = """
fatigué fatiguée fatigués fatiguées tired; triste triste tristes tristes sad; malade malade malades malades sick
heureux heureuse heureux heureuses happy; en_colère en_colère en_colère en_colère angry
en_retard en_retard en_retard en_retard late; occupé occupée occupés occupées busy
nerveux nerveuse nerveux nerveuses nervous; inquiet inquiète inquiets inquiètes worried
surpris surprise surpris surprises surprised; déçu déçue déçus déçues disappointed
seul seule seuls seules alone; prêt prête prêts prêtes ready; jaloux jalouse jaloux jalouses jealous
calme calme calmes calmes calm; content contente contents contentes pleased
silencieux silencieuse silencieux silencieuses quiet
"""

NAMES = tuple((name[:-2], name[-1]) for name in (
    "Marie f, Paul m, Sophie f, Pierre m, Julien m, Claire f, Thomas m, Camille f, Lucas m, Léa f, Antoine m, "
    "Émilie f, Nicolas m, Chloé f, Inès f, Alice f, Louis m, Manon f, Julie f, Olivier m, Isabelle f, Anne f"
).split(", "))


def _pairs(block: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(part.strip() for part in item.split("|")) for item in block.strip().split("; "))


FUTURE_TIMES = _pairs("demain | tomorrow; ce soir | tonight; ce week-end | this weekend; cet été | this summer; "
                      "cet après-midi | this afternoon; samedi prochain | next Saturday; la semaine prochaine | "
                      "next week; l'année prochaine | next year; demain matin | tomorrow morning; pendant les "
                      "vacances | during the holidays")
PAST_TIMES = _pairs("hier | yesterday; hier soir | last night; ce matin | this morning; samedi dernier | last "
                    "Saturday; la semaine dernière | last week; l'année dernière | last year; le mois dernier | "
                    "last month; avant-hier | the day before yesterday; dimanche dernier | last Sunday")
CITIES = _pairs("Paris | Paris; Londres | London; Rome | Rome; Berlin | Berlin; Madrid | Madrid; Lyon | Lyon; "
                "Marseille | Marseille; Tokyo | Tokyo; Montréal | Montreal; Bruxelles | Brussels; Genève | Geneva; "
                "Venise | Venice; Lisbonne | Lisbon")
COUNTRIES = _pairs("la France | France; l'Italie | Italy; l'Espagne | Spain; l'Allemagne | Germany; la Chine | "
                   "China; l'Angleterre | England; l'Irlande | Ireland; la Suisse | Switzerland; la Belgique | "
                   "Belgium; la Grèce | Greece; le Canada | Canada; le Japon | Japan; le Portugal | Portugal; "
                   "le Mexique | Mexico; le Brésil | Brazil; le Maroc | Morocco; les États-Unis | the United "
                   "States; les Pays-Bas | the Netherlands")
LANGUAGES = _pairs("le français | French; l'anglais | English; l'espagnol | Spanish; l'allemand | German; "
                   "l'italien | Italian; le chinois | Chinese; le japonais | Japanese; l'arabe | Arabic; "
                   "le portugais | Portuguese; le russe | Russian; le grec | Greek; le coréen | Korean")
COMPANIONS = _pairs("amis | friends; cousins | cousins; collègues | colleagues; parents | parents; "
                    "voisins | neighbors; enfants | children")
FIXED = _pairs(
    "Qu'est-ce que c'est ? | What is it?; Qu'est-ce que c'est que ça ? | What is that?; Quelle heure est-il ? | "
    "What time is it?; Quel temps fait-il ? | What is the weather like?; Qu'est-ce qui se passe ? | What is "
    "happening?; Que se passe-t-il ? | What is happening?; Qu'est-ce qu'il y a ? | What is the matter?; Quel jour "
    "sommes-nous ? | What day is it today?; Quel jour est-on aujourd'hui ? | What day is it today?; Quelle est la "
    "date d'aujourd'hui ? | What is today's date?; Qu'est-ce que tu veux dire ? | What do you mean?; Que "
    "voulez-vous dire ? | What do you mean?; Pourquoi est-ce qu'il pleut ? | Why is it raining?; Pourquoi "
    "pleut-il ? | Why is it raining?; Pourquoi fait-il si froid ? | Why is it so cold?; Pourquoi fait-il si chaud "
    "aujourd'hui ? | Why is it so hot today?; Qui est là ? | Who is there?; Qui sait ? | Who knows?; Qu'en "
    "penses-tu ? | What do you think about it?; Qu'est-ce que vous en pensez ? | What do you think about it?; Où "
    "sommes-nous ? | Where are we?; Où suis-je ? | Where am I?; Que dois-je faire ? | What should I do?; "
    "Qu'est-ce que je dois faire ? | What should I do?; Quel est le problème ? | What is the problem?; Qu'est-ce "
    "qui ne va pas ? | What is wrong?; À quoi ça sert ? | What is it for?; Qu'est-ce que ça veut dire ? | What "
    "does that mean?; Que veut dire ce mot ? | What does this word mean?; Comment t'appelles-tu ? | What is your "
    "name?; Comment vous appelez-vous ? | What is your name?; Quel est ton nom ? | What is your name?; Quelle est "
    "votre adresse ? | What is your address?; Quelle est ton adresse ? | What is your address?; Quel est ton "
    "numéro de téléphone ? | What is your phone number?; Qui a gagné le match ? | Who won the game?; Pourquoi "
    "pas ? | Why not?; Où sont les toilettes ? | Where is the bathroom?; À qui le tour ? | Whose turn is it?; "
    "Qui est-ce ? | Who is it?; Qui est cet homme ? | Who is this man?; Qui est cette femme ? | Who is this woman?; "
    "Qui sont ces gens ? | Who are these people?; Quelle est la réponse ? | What is the answer?")


def _nouns(block: str) -> tuple[Noun, ...]:
    nouns = []
    for line in block.strip().splitlines():
        head, _, entries = line.partition(": ")
        for entry in entries.split("; "):
            fr, gender, en, *extra = entry.split()
            (fr, _, fr_pl), (en, _, en_pl) = fr.partition("/"), en.partition("/")
            fr, fr_pl, en, en_pl = (word.replace("_", " ") for word in (fr, fr_pl, en, en_pl))
            nouns.append(Noun(fr, fr_pl or fr_plural(fr), gender, en, en_pl or en_plural(en),
                              frozenset(head.split() + extra)))
    return tuple(nouns)


def _present(inf: str, forms: str, known: dict[str, Verb]) -> tuple[str, ...]:
    """Explicit forms, ``=prendre`` (conjugated like prendre), ``~`` (regular -er/-ir/-re) or ``~è`` (achète)."""
    if forms.startswith("="):
        return tuple(inf[: -len(forms) + 1] + form for form in known[forms[1:]].present)
    if not forms.startswith("~"):
        return tuple(forms.split())
    return regular_present(inf, grave=forms == "~è")


def _verbs(block: str) -> dict[str, Verb]:
    verbs: dict[str, Verb] = {}
    for line in block.strip().splitlines():
        inf, present, participle, en, tags = (field.strip() for field in line.split(" | "))
        participle, aux = participle.split()
        if participle == "~":
            participle = regular_participle(inf)
        base, past, ing, *particle = en.split() + [""] * (3 - len(en.split()))
        english = base, third_person(base), past, ing
        verbs[inf] = Verb(inf, _present(inf, present, verbs), participle, aux, english, " ".join(particle).strip(),
                          frozenset(tags.split()))
    return verbs


def _adjectives(block: str) -> tuple[Adjective, ...]:
    entries = [entry.split() for line in block.strip().splitlines() for entry in line.split("; ")]
    return tuple(Adjective(tuple(form.replace("_", " ") for form in words[:4]), words[4]) for words in entries)


NOUNS = _nouns(_NOUNS)
VERBS = _verbs(_VERBS)
MODALS = tuple(_verbs(_MODALS).values())  # English: auxiliary now, ("does"), auxiliary in the past, words before
ADJECTIVES = _adjectives(_ADJECTIVES)  # the first eleven are colors
STATES = _adjectives(_STATES)


def nouns(*tags: str) -> list[Noun]:
    """The nouns carrying any of ``tags``."""
    return [noun for noun in NOUNS if noun.tags.intersection(tags)]


def verbs(*tags: str) -> list[Verb]:
    """The verbs carrying any of ``tags``."""
    return [verb for verb in VERBS.values() if verb.tags.intersection(tags)]


def objects(verb: Verb, countable: bool = True) -> list[Noun]:
    """The nouns ``verb`` can take as object (sharing a tag with it), only countable ones unless told otherwise."""
    return [n for n in nouns(*verb.tags) if not (countable and "mass" in n.tags)]

"""A handful of demo articles, written for the sandbox (not taken from anywhere)."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import NewArticle, clock

_ARTICLES = [
    (
        "Perú: el Congreso debate la reforma electoral",
        "Los partidos discuten el regreso a la bicameralidad y nuevas reglas para las "
        "elecciones regionales. La votación final se espera para fin de mes.",
        ("perú", "política", "elecciones"),
        "Ana Quispe",
    ),
    (
        "Lima prepares for the rainy season",
        "The city council approved a plan to clean drains and reinforce riverbanks before "
        "the first storms. Residents of the Rímac basin will be warned by text message.",
        ("lima", "climate"),
        "Jorge Salas",
    ),
    (
        "Mariátegui, cien años después",
        "Un repaso a los Siete ensayos y a su lectura en las universidades de hoy.",
        ("cultura", "historia"),
        "Rosa Huamán",
    ),
    (
        "Cusco tourism reaches a new record",
        "More than two million visitors came this year; hotels ask for better rail links to "
        "Machu Picchu.",
        ("cusco", "tourism", "economy"),
        "Luis Condori",
    ),
    (
        "La economía peruana crece por tercer trimestre",
        "La minería y la agroexportación empujan el crecimiento; el consumo interno se "
        "mantiene estable.",
        ("economía", "perú"),
        "Carmen Rojas",
    ),
    (
        "Amazon fires: satellites show fewer hotspots",
        "Monitoring data suggests the new surveillance programme is working, though "
        "researchers warn the dry season is not over.",
        ("amazonía", "climate"),
        "Diego Flores",
    ),
    (
        "Arequipa opens its new metropolitan library",
        "The building holds half a million books and a public makerspace.",
        ("arequipa", "culture"),
        "Elena Paredes",
    ),
    (
        "Fútbol: la selección convoca a tres debutantes",
        "El entrenador apuesta por jóvenes de la liga local para los próximos amistosos.",
        ("deportes", "fútbol"),
        "Marco Vargas",
    ),
]


# Under `--lang es`, the English ones as a Spanish-language desk would have written them.
_IN_SPANISH = {
    "Lima prepares for the rainy season": (
        "Lima se prepara para la temporada de lluvias",
        "El concejo aprobó un plan para limpiar desagües y reforzar las riberas antes de las "
        "primeras tormentas. Los vecinos de la cuenca del Rímac serán avisados por mensaje.",
        ("lima", "clima"),
    ),
    "Cusco tourism reaches a new record": (
        "El turismo en Cusco alcanza un nuevo récord",
        "Más de dos millones de visitantes llegaron este año; los hoteles piden mejores "
        "conexiones de tren a Machu Picchu.",
        ("cusco", "turismo", "economía"),
    ),
    "Amazon fires: satellites show fewer hotspots": (
        "Incendios en la Amazonía: los satélites muestran menos focos",
        "Los datos de monitoreo sugieren que el nuevo programa de vigilancia funciona, aunque "
        "los investigadores advierten que la temporada seca no ha terminado.",
        ("amazonía", "clima"),
    ),
    "Arequipa opens its new metropolitan library": (
        "Arequipa inaugura su nueva biblioteca metropolitana",
        "El edificio guarda medio millón de libros y un taller público de fabricación.",
        ("arequipa", "cultura"),
    ),
}


# Two have a picture (a photo card), one a structured text (📖 Read here).
_PICTURES = {
    0: "https://demo.articlebot.invalid/img/congreso.jpg",
    1: "https://demo.articlebot.invalid/img/rimac.jpg",
}
_TEXTS = {
    0: (
        "<p>El pleno retoma este martes el debate sobre la reforma electoral, que devolvería "
        "al país un Congreso de dos cámaras.</p>"
        "<h2>Qué se vota</h2>"
        "<ul><li>Un Senado de 60 miembros.</li><li>Elecciones primarias abiertas.</li>"
        "<li>Nuevas reglas para las candidaturas regionales.</li></ul>"
        "<blockquote><p>«Es la reforma más importante en veinte años», dijo la presidenta "
        "de la comisión.</p></blockquote>"
        "<h2>Los plazos</h2>"
        "<p>Si el pleno la aprueba, la reforma necesita una segunda votación en la próxima "
        "legislatura o un referéndum.</p>"
    ),
}


def demo_articles(now: datetime | None = None, language: str = "en") -> list[NewArticle]:
    """The demo articles, one a day back from `now`, newest first; in Spanish only under
    `language="es"` (in English the archive is mixed, as a Peruvian desk's might be)."""
    now = now or clock.now()
    articles = []
    for n, (title, summary, tags, author) in enumerate(_ARTICLES):
        if language == "es" and title in _IN_SPANISH:
            title, summary, tags = _IN_SPANISH[title]
        articles.append(
            NewArticle(
                url=f"https://demo.articlebot.invalid/{n}",
                title=title,
                summary=summary,
                tags=tags,
                author=author,
                published_at=now - timedelta(days=n),
                source="sandbox",
                image=_PICTURES.get(n, ""),
                body_html=_TEXTS.get(n, ""),
            )
        )
    return articles

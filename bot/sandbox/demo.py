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


def demo_articles(now: datetime | None = None) -> list[NewArticle]:
    """The demo articles, one a day back from `now`, newest first."""
    now = now or clock.now()
    return [
        NewArticle(
            url=f"https://demo.articlebot.invalid/{n}",
            title=title,
            summary=summary,
            tags=tags,
            author=author,
            published_at=now - timedelta(days=n),
            source="sandbox",
        )
        for n, (title, summary, tags, author) in enumerate(_ARTICLES)
    ]

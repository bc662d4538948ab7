"""A local HTTP server with fixture feeds and article pages, for the feed and admin tests
(127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from types import TracebackType

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


class FeedServer:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = [("First story", "https://changing.example/1")]
        self.not_modified = 0
        self.requests: dict[str, int] = {}
        self.broken = False
        # Feeds a test writes: name -> (body, headers, an event to wait for before answering).
        self.served: dict[str, tuple[bytes, dict[str, str], asyncio.Event | None]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/served/{name}", self.serve)
        app.router.add_get("/changing", self.changing)
        app.router.add_get("/many", self.many)
        app.router.add_get("/huge", self.huge)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/loop", self.loop)
        app.router.add_get("/status/{code}", self.status)
        app.router.add_get("/image", self.image)
        app.router.add_get("/page/article", self.article_page)
        app.router.add_get("/page/bare", self.bare_page)
        app.router.add_get("/page/pdf", self.pdf)
        app.router.add_get("/page/encoded/{form}", self.encoded_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        # A second site on the same loopback: 127.0.0.2 (all of 127/8 is loopback on Linux).
        await web.TCPSite(self._runner, "127.0.0.2", self.port).start()
        return self

    def serve_feed(
        self, name: str, body: str | bytes, *, hold: asyncio.Event | None = None, **headers: str
    ) -> str:
        """Serve `body` at /served/<name> (Content-Type application/rss+xml unless given),
        with `hold`, once that event is set; returns its URL."""
        data = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": "application/rss+xml", **headers}
        self.served[name] = (data, {k.replace("_", "-"): v for k, v in headers.items()}, hold)
        return self.url(f"served/{name}")

    async def serve(self, request: web.Request) -> web.Response:
        self._count(request)
        found = self.served.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        body, headers, hold = found
        if hold is not None:
            await hold.wait()
        return web.Response(body=body, headers=headers)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def _count(self, request: web.Request) -> None:
        self.requests[request.path] = self.requests.get(request.path, 0) + 1

    async def static(self, request: web.Request) -> web.Response:
        self._count(request)
        path = FIXTURES / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        kind = "text/html" if path.suffix == ".html" else "application/xml"
        return web.Response(body=path.read_bytes(), content_type=kind)

    async def changing(self, request: web.Request) -> web.Response:
        """A feed whose items the test changes; answers 304 to a matching If-None-Match."""
        self._count(request)
        if self.broken:
            raise web.HTTPInternalServerError()
        body = rss(self.items).encode()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def many(self, request: web.Request) -> web.Response:
        items = [(f"Item {n}", f"https://many.example/{n}") for n in range(50_000)]
        return web.Response(body=rss(items).encode(), content_type="application/rss+xml")

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """50 MB, streamed without a Content-Length, so only the reader's cap stops it."""
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        await response.write(b'<rss version="2.0"><channel><title>Huge</title>')
        chunk = b"<item><title>x</title><link>https://huge.example/x</link></item>" * 1000
        try:
            for _ in range(50 * 2**20 // len(chunk)):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client gave up, as it should
        return response

    async def slow(self, request: web.Request) -> web.Response:
        self._count(request)
        await asyncio.sleep(3)
        return await self.static_named("rss2.xml")

    async def static_named(self, name: str) -> web.Response:
        return web.Response(body=(FIXTURES / name).read_bytes(), content_type="application/xml")

    async def loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(location="/loop")

    async def status(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def article_page(self, request: web.Request) -> web.Response:
        return web.Response(text=ARTICLE_PAGE, content_type="text/html")

    async def bare_page(self, request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body><p>No title, no metadata.</p></body></html>",
            content_type="text/html",
        )

    async def encoded_page(self, request: web.Request) -> web.Response:
        """A Spanish page as servers send them: Latin-1 declared only by the page itself
        (text/html without a charset), Windows-1252 declared only by the HTTP header, and
        UTF-8 with a byte-order mark and no declaration at all."""
        form = request.match_info["form"]
        if form == "latin-1":
            body = ENCODED_PAGE.format(meta='<meta charset="iso-8859-1">').encode("latin-1")
            return web.Response(body=body, headers={"Content-Type": "text/html"})
        if form == "windows-1252":
            body = ENCODED_PAGE.format(meta="").encode("cp1252")
            return web.Response(
                body=body, headers={"Content-Type": "text/html; charset=windows-1252"}
            )
        body = "\ufeff".encode() + ENCODED_PAGE.format(meta="").encode()
        return web.Response(body=body, headers={"Content-Type": "text/html"})

    async def pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4\n" + bytes(100), content_type="application/pdf")

    async def image(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + bytes(200), content_type="image/png")


ARTICLE_PAGE = """<!doctype html><html lang="es"><head>
<title>Página de prueba | Diario</title>
<meta property="og:title" content="La reforma &amp; el Congreso">
<meta property="og:description" content="El Congreso aprobó la reforma electoral ayer.">
<meta property="og:image" content="https://pages.example/lead.jpg">
<meta name="author" content="Ana Quispe">
<meta name="keywords" content="política, perú">
<meta property="article:published_time" content="2026-03-01T10:00:00Z">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "La reforma & el Congreso", "datePublished": "2026-03-01T10:00:00Z",
 "author": {"@type": "Person", "name": "Ana Quispe"}}</script>
</head><body><article><h1>La reforma</h1><p>Texto del artículo.</p></article></body></html>"""


def rss(items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid></item>"
        for title, link in items
    )
    return f'<rss version="2.0"><channel><title>Changing</title>{entries}</channel></rss>'


ENCODED_PAGE = """<!doctype html><html lang="es"><head>{meta}
<title>Perú: la reforma electoral avanza en el Congreso</title>
<meta name="description" content="Es «el año electoral», dice el ministro.">
</head><body><p>Texto.</p></body></html>"""

"""A corpus of script-injection vectors for every place Swarm shows what a person wrote.

Each vector calls ``xss(N)`` (its own number; ``§`` below stands for that call) or ``alert(N)``
when it runs, so the browser test that renders them (tests/browser/test_xss_corpus.py) knows
which one got through. They cover the families the helpdesk CVEs came from: script tags, event
handlers, SVG and MathML, ``javascript:``/``data:`` URLs, attribute and element breakouts
(quotes, ``</textarea>``, ``</script>`` inside JSON blocks), HTML entity and case tricks, CSS,
template injection (server-side Jinja and client-side ``${}``) and Markdown link tricks (for the
knowledge base's renderer). ``SSTI_PRODUCT`` is what the template-injection vectors evaluate to;
it must never appear in a page.
"""

from __future__ import annotations

SSTI_PRODUCT = "1370974"  # 1234 * 1111

_VECTORS = [
    # script elements
    "<script>§</script>",
    "<SCRIPT>§</SCRIPT>",
    "<ScRiPt>§</sCrIpT>",
    "<script src=data:text/javascript,§></script>",
    "<script>/*</script><script>§//*/</script>",
    "<<script>§//<</script>",
    "<script\x0c>§</script>",
    "<script type=module>§</script>",
    "</script><script>§</script>",
    '"></script><script>§</script>',
    "</title><script>§</script>",
    "</textarea><script>§</script>",
    "</style><script>§</script>",
    "</noscript><script>§</script>",
    "<!--<script>§</script>-->",
    "--><script>§</script>",
    "]]><script>§</script>",
    "<scr<script>ipt>§</scr</script>ipt>",
    # event handlers
    "<img src=x onerror=§>",
    '<img src=x onerror="§">',
    "<IMG SRC=x ONERROR=§>",
    "<img/src=x/onerror=§>",
    "<img src=x onerror\x0b=§>",
    "<img src=x:alert(1) onerror=eval(src.slice(2))§>",
    "<body onload=§>",
    "<svg onload=§>",
    "<svg/onload=§>",
    "<input autofocus onfocus=§>",
    "<select autofocus onfocus=§></select>",
    "<textarea autofocus onfocus=§></textarea>",
    "<details open ontoggle=§>",
    "<video><source onerror=§></video>",
    "<audio src=x onerror=§>",
    "<iframe onload=§></iframe>",
    "<marquee onstart=§>x</marquee>",
    "<div onmouseover=§ style=position:fixed;inset:0>x</div>",
    "<a onmouseover=§>hover</a>",
    "<form><button formaction=javascript:§>go</button></form>",
    "<object data=javascript:§></object>",
    "<embed src=javascript:§>",
    "<isindex action=javascript:§ type=image>",
    "<x onclick=§ contenteditable>x</x>",
    "<img src=x onerror=&#120;&#115;&#115;&#40;1&#41;>",
    "<img src=x onerror=\\u0078ss(1)>",
    # SVG and MathML
    "<svg><script>§</script></svg>",
    "<svg><animate onbegin=§ attributeName=x dur=1s>",
    "<svg><set onbegin=§ attributeName=x to=1>",
    "<svg><a xlink:href=javascript:§><text y=20>x</text></a></svg>",
    "<svg><use href=data:image/svg+xml,<svg%20id='x'%20onload='§'/>#x></svg>",
    "<svg><foreignObject><img src=x onerror=§></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=§>",
    "<math href=javascript:§>x</math>",
    "<svg><style><img src=x onerror=§></style></svg>",
    # javascript:, data: and vbscript: URLs
    "<a href=javascript:§>x</a>",
    '<a href="javascript:§">x</a>',
    "<a href=JaVaScRiPt:§>x</a>",
    "<a href=' javascript:§'>x</a>",
    "<a href=java&#x09;script:§>x</a>",
    "<a href=&#106;avascript:§>x</a>",
    "<a href=data:text/html,<script>§</script>>x</a>",
    "<a href=vbscript:§>x</a>",
    "<iframe src=javascript:§></iframe>",
    "<iframe srcdoc='<script>parent.§</script>'></iframe>",
    "<meta http-equiv=refresh content='0;url=javascript:§'>",
    "<base href=javascript:§//>",
    "<link rel=stylesheet href=javascript:§>",
    "javascript:§",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    # attribute breakouts (for values placed in attributes)
    '" onmouseover="§" x="',
    "' onmouseover='§' x='",
    '" autofocus onfocus="§" x="',
    '" ><img src=x onerror=§>',
    "'><img src=x onerror=§>",
    "` onmouseover=§ x=`",
    '" style="animation-name:x" onanimationstart="§" x="',
    'x" onerror="§',
    '"/><svg onload=§>',
    "&quot; onmouseover=&quot;§",
    "&#34;><img src=x onerror=§>",
    # JSON / script-block breakouts
    "</script><img src=x onerror=§>",
    '"}</script><script>§</script>',
    "\u2028</script><script>§</script>",
    "<!--</script><script>§</script>",
    # CSS
    "<style>@import 'javascript:§';</style>",
    '<style>*{background:url("javascript:§")}</style>',
    '<div style="background:url(javascript:§)">x</div>',
    "<div style=x:expression(§)>x</div>",
    "<link rel=import href=data:text/html,<script>§</script>>",
    # template injection, server and client side
    "{{ 1234*1111 }}",
    "{{1234*1111}}§",
    "${1234*1111}",
    "#{1234*1111}",
    "{{constructor.constructor('§')()}}",
    "{% raw %}{{ 1234*1111 }}{% endraw %}",
    "{{ config }}{{ self.__init__.__globals__ }}",
    "<%= 1234*1111 %>",
    "[[${1234*1111}]]",
    # Markdown tricks (the knowledge base renders Markdown)
    "[click](javascript:§)",
    "[click](JAVASCRIPT:§)",
    "[click](javascript&#58;§)",
    '![x](x" onerror="§)',
    "[x](data:text/html,<script>§</script>)",
    "<javascript:§>",
    "[x]: javascript:§\n[click][x]",
    "`<script>§</script>`",
    "```\n</code><script>§</script>\n```",
    "<a href='javascript:§'>[x](y)</a>",
    "**<img src=x onerror=§>**",
    # encodings and oddities
    "%3Cscript%3E§%3C/script%3E",
    "&lt;script&gt;§&lt;/script&gt;",
    "\ufe64script\ufe65§\ufe64/script\ufe65",
    "<scr\tipt>§</scr\tipt>",
    '<img src="x` `<script>§</script>"` `>',
    '<noscript><p title="</noscript><img src=x onerror=§>">',
    "<template><script>§</script></template>",
    "<xmp><script>§</script></xmp>",
    "<plaintext><script>§</script>",
    "<keygen autofocus onfocus=§>",
]


def corpus() -> list[str]:
    """The vectors, each with its own number: vector ``i`` calls ``xss(i)``."""
    out = []
    for i, vector in enumerate(_VECTORS):
        text = vector.replace("§", f"xss({i})") if "§" in vector else vector
        # Vectors without a call of their own (SSTI, encoded forms) still carry their number in
        # a harmless suffix, so every text is unique and can be found in a page.
        out.append(text if "§" in vector else f"{text} v{i}")
    return out


VECTORS = corpus()

"""An article's Markdown as plain blocks (for pages that write them with textContent)
and as HTML without any raw HTML of the source: markdown-it with ``html`` off escapes
tags, and its link check refuses ``javascript:``, ``vbscript:``, ``file:`` and
``data:`` addresses."""

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

_markdown = MarkdownIt("commonmark", {"html": False})
Block = dict[str, Any]


def html_of(markdown: str) -> str:
    html: str = _markdown.render(markdown)
    return html


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def blocks_of(markdown: str) -> list[Block]:
    """``[{type: "heading", level, text} | {type: "paragraph", text} |
    {type: "list", ordered, items: [text]} | {type: "quote", text}]``."""
    blocks: list[Block] = []
    lists: list[Block] = []
    quote_depth = 0
    heading_level = 0
    in_item = 0
    for token in _markdown.parse(markdown):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append({"type": "list", "ordered": kind == "ordered_list_open",
                          "items": []})
        elif kind in ("bullet_list_close", "ordered_list_close"):
            finished = lists.pop()
            if not lists:
                blocks.append(finished)
        elif kind == "list_item_open":
            in_item += 1
            lists[-1]["items"].append("")
        elif kind == "list_item_close":
            in_item -= 1
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "heading_open":
            heading_level = int(token.tag[1:])
        elif kind == "inline":
            text = _inline_text(token)
            if in_item and lists:
                items = lists[-1]["items"]
                items[-1] = f"{items[-1]} {text}".strip()
            elif heading_level:
                blocks.append({"type": "heading", "level": heading_level, "text": text})
            elif quote_depth:
                blocks.append({"type": "quote", "text": text})
            else:
                blocks.append({"type": "paragraph", "text": text})
        elif kind == "heading_close":
            heading_level = 0
        elif kind in ("fence", "code_block"):
            blocks.append({"type": "paragraph", "text": token.content.strip()})
    return blocks

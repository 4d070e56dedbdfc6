-- ketab's pandoc filter.
-- Notes become inline spans (class "note") so that WeasyPrint can float them to the
-- page foot and the EPUB writer can turn them into popup footnotes.  A note whose
-- text begins with "م:" / "tr:" is a translator's note, "و:" / "ed:" an editor's note;
-- the prefix is removed here and the suffix («ـ م.» / «ـ و.») is added by ketab in
-- the book's language.
local KINDS = { ["م:"] = "translator", ["tr:"] = "translator", ["و:"] = "editor", ["ed:"] = "editor" }

function Note(el)
  local inlines = pandoc.utils.blocks_to_inlines(el.content, { pandoc.Space() })
  local kind = "author"
  if #inlines > 0 and inlines[1].t == "Str" and KINDS[inlines[1].text] then
    kind = KINDS[inlines[1].text]
    inlines:remove(1)
    while #inlines > 0 and (inlines[1].t == "Space" or inlines[1].t == "SoftBreak") do
      inlines:remove(1)
    end
  end
  return pandoc.Span(inlines, pandoc.Attr("", { "note" }, { { "kind", kind } }))
end

-- An editor's insertion, [words]{.ins}, stands in square brackets in every format (the brackets are text,
-- so the PDFs, the EPUB and every other writer show them alike; bidi mirrors them in a right-to-left line).
function Span(el)
  if el.classes:includes("ins") then
    el.content:insert(1, pandoc.Str("["))
    el.content:insert(pandoc.Str("]"))
    return el
  end
end

-- ketab's pandoc filter.
-- Notes become inline spans (class "note") so that WeasyPrint can float them to the
-- page foot and the EPUB writer can turn them into popup footnotes.  A note whose
-- text begins with "م:" / "tr:" is a translator's note, "و:" / "ed:" an editor's note;
-- the prefix is removed here and the suffix («ـ م.» / «ـ و.») is added by ketab in
-- the book's language.
--
-- Before that, the filter writes to stderr, on one line after "ketab-facts: ", what ketab reads from
-- pandoc's parse of the chapter (ketab/sourcemap.py): the text of every code block, inline code and raw
-- HTML (what is not prose), the date and tracked-change spans, and the note calls left without a
-- definition (pandoc keeps them as the text "[^label]").
local WATCHED = { shamsi = true, miladi = true, insertion = true, deletion = true }

local function facts_of(doc)
  local facts = { code = {}, inline_code = {}, raw = {}, spans = {}, unresolved = {} }
  local seen = {}
  local function add(list, value) list[#list + 1] = value end
  doc:walk({
    CodeBlock = function(el) add(facts.code, el.text) end,
    Code = function(el) add(facts.inline_code, el.text) end,
    RawBlock = function(el) add(facts.raw, el.text) end,
    RawInline = function(el) add(facts.raw, el.text) end,
    Span = function(el)
      for _, class in ipairs(el.classes) do
        if WATCHED[class] then add(facts.spans, { class, pandoc.utils.stringify(el.content) }) end
      end
    end,
    Str = function(el)
      for label in el.text:gmatch("%[%^([^%]%s]+)%]") do
        if not seen[label] then
          seen[label] = true
          add(facts.unresolved, label)
        end
      end
    end,
  })
  io.stderr:write("ketab-facts: " .. pandoc.json.encode(facts) .. "\n")
end

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

-- The facts first, on the document as pandoc parsed it; then the notes and insertions above.
return { { Pandoc = facts_of }, { Note = Note, Span = Span } }

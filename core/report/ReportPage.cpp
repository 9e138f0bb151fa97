// htmlPage(): the report's document around its body, with the inline style
// sheet (no script, no external resource).
#include "core/report/Html.h"
#include "core/report/Report.h"

#include <string>

namespace ts::report {

std::string htmlPage(const std::string& title, const std::string& body) {
    static const char* css = R"CSS(
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 14px; color: #1b1b1b; background: #fafafa; margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 28px 40px; background: #ffffff; }
h1 { font-size: 24px; margin: 12px 0 4px; }
h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 8px; color: #0b3d62; }
p.sub { color: #555555; margin: 0 0 12px; }
p.note { margin: 6px 0; }
p.warn { margin: 6px 0; padding: 6px 10px; background: #fff4e5; border-left: 4px solid #E69F00; }
p.good { margin: 6px 0; padding: 6px 10px; background: #e8f6ef; border-left: 4px solid #009E73; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid #d0d0d0; padding: 4px 8px; text-align: left; vertical-align: top; font-size: 13px; }
th { background: #eef3f7; }
table.facts th { width: 210px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.changed td { background: #fff6d6; font-weight: bold; }
tr.best td { background: #e8f6ef; }
tr.error td { background: #fdecea; }
td.goodcell { background: #e8f6ef; }
td.badcell { background: #fdecea; }
table.config td { max-width: 520px; word-break: break-word; }
.row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
div.plot { margin: 4px 0; }
svg.plot { border: 1px solid #e0e0e0; background: #ffffff; max-width: 100%; height: auto; }
nav.toc a { margin-right: 12px; color: #0072B2; }
.mistakes { display: flex; flex-wrap: wrap; gap: 14px; }
figure.mistake { margin: 0; padding: 8px; border: 1px solid #d8d8d8; background: #fcfcfc; width: 350px; }
figure.mistake .pair { display: flex; gap: 6px; }
figure.mistake img { display: block; max-width: 170px; max-height: 170px; }
figcaption { font-size: 13px; margin-top: 6px; }
details summary { cursor: pointer; color: #0072B2; margin: 6px 0; }
footer { margin-top: 30px; color: #666666; font-size: 12px; }
)CSS";
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escapeHtml(title, 200) +
           "</title>\n<style>" + css + "</style>\n</head>\n<body>\n<main>\n" + body +
           "<footer>Written by tstudio report on " + utcNowText() +
           ". This file is self-contained: it loads nothing from the network or the disk.</footer>\n</main>\n</body>\n</html>\n";
}

} // namespace ts::report

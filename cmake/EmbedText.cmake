# Embeds a text file as a std::vector<std::string> of its lines.
# cmake -DINPUT=... -DOUTPUT=... -DSYMBOL=... -P EmbedText.cmake
file(STRINGS "${INPUT}" _lines ENCODING UTF-8)
set(_body "")
foreach(_line IN LISTS _lines)
  string(REPLACE "\\" "\\\\" _line "${_line}")
  string(REPLACE "\"" "\\\"" _line "${_line}")
  string(APPEND _body "    \"${_line}\",\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT}; do not edit.\n#include <string>\n#include <vector>\nnamespace ts::embedded {\nconst std::vector<std::string>& ${SYMBOL}() {\n  static const std::vector<std::string> lines = {\n${_body}  };\n  return lines;\n}\n}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

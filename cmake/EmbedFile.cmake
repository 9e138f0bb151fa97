# Embeds a text file verbatim as a std::string (a raw string literal).
# cmake -DINPUT=... -DOUTPUT=... -DSYMBOL=... -P EmbedFile.cmake
file(READ "${INPUT}" _content)
string(FIND "${_content}" ")TSEMBED\"" _clash)
if(NOT _clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )TSEMBED\"")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT}; do not edit.\n#include <string>\nnamespace ts::embedded {\nconst std::string& ${SYMBOL}() {\n  static const std::string text = R\"TSEMBED(${_content})TSEMBED\";\n  return text;\n}\n}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

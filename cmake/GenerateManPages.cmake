# Writes gzipped man pages (section 1) from a program's own --help, so the
# pages never drift from the options the program accepts. Run at build time:
#
#   cmake -DPROGRAM=/path/to/tstudio -DNAME=tstudio -DVERSION=0.1.0
#         -DOUT_DIR=build/man/man1 [-DDOC_DIR=/usr/share/doc/transfer-studio]
#         [-DSEE_ALSO=transfer-studio] [-DOFFSCREEN=ON] -P GenerateManPages.cmake
#
# Understands the help layout of CLI11 and of Qt's QCommandLineParser:
#   a description, a "Usage: ..." line, then sections ("Options:",
#   "Positionals:", "Arguments:", "Subcommands:", option groups) whose entries
#   are "  NAME  description" with continuation lines indented further.
# NAME.1.gz is the program's page. Every subcommand listed under
# "Subcommands:" gets its own page NAME-SUB.1.gz (run as `PROGRAM SUB --help`);
# the subcommands of a subcommand are documented inside their parent's page.
# OFFSCREEN=ON runs the program on Qt's offscreen platform (a GUI's --help
# needs a QApplication, not a display). The date is SOURCE_DATE_EPOCH's when
# set. Pages are compressed with `gzip -9n` (no name or time stamp inside).
cmake_minimum_required(VERSION 3.22)

foreach(var PROGRAM NAME VERSION OUT_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "GenerateManPages.cmake: -D${var}=... is required")
  endif()
endforeach()
find_program(TS_GZIP gzip REQUIRED)
string(TIMESTAMP TS_MAN_DATE "%Y-%m-%d" UTC)

# CMake lists split on ';' and treat '[' ']' specially, so help text is
# carried with those three characters replaced by tokens, and restored when
# written out.
set(TS_SEMI "@TS_SEMICOLON@")
set(TS_LB "@TS_LBRACKET@")
set(TS_RB "@TS_RBRACKET@")

# Runs PROGRAM with ARGS (a list) and --help; sets OUT to the text, with the
# program's path replaced by NAME (CLI11 prints argv[0] in its usage line).
function(ts_program_help out)
  set(env_args)
  if(OFFSCREEN)
    set(env_args QT_QPA_PLATFORM=offscreen)
  endif()
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${env_args} COLUMNS=80 ${PROGRAM} ${ARGN} --help
    OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 60)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "GenerateManPages.cmake: `${PROGRAM} ${shown} --help` failed (${rc}): ${err}")
  endif()
  string(REPLACE "${PROGRAM}" "${NAME}" text "${text}")
  string(REPLACE "\r" "" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Escapes one line of (token-carrying) help text for roff and restores the
# tokens: backslashes, minus signs, a leading '.' or '\''; `code` in bold.
function(ts_roff_text out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "`([^`]+)`" "\\\\fB\\1\\\\fR" text "${text}")
  string(REPLACE "${TS_SEMI}" ";" text "${text}")
  string(REPLACE "${TS_LB}" "[" text "${text}")
  string(REPLACE "${TS_RB}" "]" text "${text}")
  if(text MATCHES "^[.']")
    set(text "\\&${text}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Parses help TEXT. Sets, in the caller:
#   <prefix>_DESCRIPTION  roff paragraphs of the text before the first section
#   <prefix>_SUMMARY      the first sentence of the description (plain text)
#   <prefix>_USAGE        the usage line after "Usage: " (plain text)
#   <prefix>_SECTIONS     roff of every section, headed with the macro HEADING (SH or SS)
#   <prefix>_SUBCOMMANDS  the names listed under "Subcommands:"
function(ts_parse_help prefix text heading)
  string(REPLACE ";" "${TS_SEMI}" text "${text}")
  string(REPLACE "[" "${TS_LB}" text "${text}")
  string(REPLACE "]" "${TS_RB}" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")

  set(description "")
  set(summary "")
  set(usage "")
  set(sections "")
  set(subcommands "")
  set(section "")        # the current section's name; empty before the first
  set(in_entry FALSE)    # the last line was an entry or its continuation
  set(new_paragraph TRUE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ \t]*$")
      set(in_entry FALSE)
      set(new_paragraph TRUE)
    elseif(line MATCHES "^Usage: *(.*)$")
      set(usage "${CMAKE_MATCH_1}")
      set(in_entry FALSE)
      set(new_paragraph TRUE)
    elseif(line MATCHES "^([A-Za-z][A-Za-z0-9 _-]*):$")
      set(section "${CMAKE_MATCH_1}")
      string(TOUPPER "${section}" title)
      if(title STREQUAL "POSITIONALS")
        set(title "ARGUMENTS")
      endif()
      string(APPEND sections ".${heading} ${title}\n")
      set(in_entry FALSE)
    elseif(NOT section STREQUAL "" AND line MATCHES "^  ([^ ]+( [^ ]+)*)(  +(.*))?$")
      # "  NAME  description" or a NAME alone (its description follows).
      set(name "${CMAKE_MATCH_1}")
      set(desc "${CMAKE_MATCH_4}")
      if(section STREQUAL "Subcommands")
        list(APPEND subcommands "${name}")
      endif()
      ts_roff_text(name "${name}")
      ts_roff_text(desc "${desc}")
      string(APPEND sections ".TP\n\\fB${name}\\fR\n")
      if(NOT desc STREQUAL "")
        string(APPEND sections "${desc}\n")
      endif()
      set(in_entry TRUE)
    elseif(in_entry AND line MATCHES "^   +(.*)$")
      ts_roff_text(desc "${CMAKE_MATCH_1}")
      string(APPEND sections "${desc}\n")
    else()
      string(STRIP "${line}" plain)
      if(section STREQUAL "" AND description STREQUAL "")
        # CLI11's "NAME - what it is": NAME is already the page's name.
        string(REGEX REPLACE "^${NAME} +- +" "" plain "${plain}")
      endif()
      ts_roff_text(roff "${plain}")
      if(section STREQUAL "")
        if(new_paragraph AND NOT description STREQUAL "")
          string(APPEND description ".PP\n")
        endif()
        string(APPEND description "${roff}\n")
        if(summary STREQUAL "")
          set(summary "${plain}")
        endif()
      else()
        # Free text inside or after a section (a footer).
        if(new_paragraph OR in_entry)
          string(APPEND sections ".PP\n")
        endif()
        string(APPEND sections "${roff}\n")
      endif()
      set(in_entry FALSE)
      set(new_paragraph FALSE)
    endif()
  endforeach()

  # The summary: the first sentence, without "NAME - " in front.
  string(REGEX REPLACE "^${NAME} +- +" "" summary "${summary}")
  string(REGEX REPLACE "\\. .*$" "" summary "${summary}")
  string(REGEX REPLACE "\\.$" "" summary "${summary}")
  string(REPLACE "${TS_SEMI}" ";" summary "${summary}")
  string(REPLACE "${TS_LB}" "[" summary "${summary}")
  string(REPLACE "${TS_RB}" "]" summary "${summary}")
  string(REPLACE "${TS_SEMI}" ";" usage "${usage}")
  string(REPLACE "${TS_LB}" "[" usage "${usage}")
  string(REPLACE "${TS_RB}" "]" usage "${usage}")

  set(${prefix}_DESCRIPTION "${description}" PARENT_SCOPE)
  set(${prefix}_SUMMARY "${summary}" PARENT_SCOPE)
  set(${prefix}_USAGE "${usage}" PARENT_SCOPE)
  set(${prefix}_SECTIONS "${sections}" PARENT_SCOPE)
  set(${prefix}_SUBCOMMANDS "${subcommands}" PARENT_SCOPE)
endfunction()

# The SYNOPSIS line: the command words of USAGE in bold, the rest as written.
function(ts_roff_synopsis out usage command)
  string(LENGTH "${command}" n)
  string(SUBSTRING "${usage}" 0 ${n} head)
  if(head STREQUAL command)
    string(SUBSTRING "${usage}" ${n} -1 rest)
  else()
    set(rest " ${usage}")
  endif()
  string(REPLACE "-" "\\-" command "${command}")
  string(REPLACE "-" "\\-" rest "${rest}")
  set(${out} "\\fB${command}\\fR${rest}\n" PARENT_SCOPE)
endfunction()

# Writes OUT_DIR/<page>.1 and compresses it.
function(ts_write_page page title summary body)
  string(TOUPPER "${page}" upper)
  string(REPLACE "-" "\\-" upper "${upper}")
  string(REPLACE "-" "\\-" page_roff "${page}")
  ts_roff_text(summary "${summary}")
  set(roff ".\\\" Generated from `${title} --help` by cmake/GenerateManPages.cmake. Do not edit.\n")
  string(APPEND roff ".TH ${upper} 1 \"${TS_MAN_DATE}\" \"${NAME} ${VERSION}\" \"User Commands\"\n")
  string(APPEND roff ".SH NAME\n${page_roff} \\- ${summary}\n")
  string(APPEND roff "${body}")
  file(WRITE "${OUT_DIR}/${page}.1" "${roff}")
  file(REMOVE "${OUT_DIR}/${page}.1.gz")
  execute_process(COMMAND ${TS_GZIP} -9n "${OUT_DIR}/${page}.1" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "GenerateManPages.cmake: gzip failed on ${OUT_DIR}/${page}.1")
  endif()
endfunction()

function(ts_see_also out exclude pages)
  set(refs "")
  foreach(page IN LISTS pages SEE_ALSO)
    if(NOT page STREQUAL exclude)
      string(REPLACE "-" "\\-" page "${page}")
      list(APPEND refs "\\fB${page}\\fR(1)")
    endif()
  endforeach()
  list(JOIN refs ",\n" refs)
  set(text ".SH SEE ALSO\n${refs}\n")
  if(DEFINED DOC_DIR AND NOT DOC_DIR STREQUAL "")
    string(REPLACE "-" "\\-" doc "${DOC_DIR}")
    string(APPEND text ".PP\nThe README and the guides in \\fI${doc}\\fR.\n")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY "${OUT_DIR}")
file(GLOB stale "${OUT_DIR}/${NAME}.1" "${OUT_DIR}/${NAME}.1.gz" "${OUT_DIR}/${NAME}-*.1" "${OUT_DIR}/${NAME}-*.1.gz")
if(stale)
  file(REMOVE ${stale})
endif()

ts_program_help(help)
ts_parse_help(TOP "${help}" SH)
set(pages "${NAME}")
foreach(sub IN LISTS TOP_SUBCOMMANDS)
  list(APPEND pages "${NAME}-${sub}")
endforeach()

# The program's page; its subcommand list points to their pages.
ts_roff_synopsis(synopsis "${TOP_USAGE}" "${NAME}")
set(body ".SH SYNOPSIS\n${synopsis}")
if(NOT TOP_DESCRIPTION STREQUAL "")
  string(APPEND body ".SH DESCRIPTION\n${TOP_DESCRIPTION}")
endif()
string(APPEND body "${TOP_SECTIONS}")
if(TOP_SUBCOMMANDS)
  string(APPEND body ".PP\nEach command has its own page, \\fB${NAME}\\-\\fR\\fIcommand\\fR(1), and \\fB${NAME} \\fR\\fIcommand\\fR \\fB\\-\\-help\\fR.\n")
endif()
ts_see_also(see "${NAME}" "${pages}")
string(APPEND body "${see}")
ts_write_page("${NAME}" "${NAME}" "${TOP_SUMMARY}" "${body}")

# One page per subcommand, with its own subcommands inside.
foreach(sub IN LISTS TOP_SUBCOMMANDS)
  ts_program_help(help ${sub})
  ts_parse_help(SUB "${help}" SH)
  ts_roff_synopsis(synopsis "${SUB_USAGE}" "${NAME} ${sub}")
  set(body ".SH SYNOPSIS\n${synopsis}")
  if(NOT SUB_DESCRIPTION STREQUAL "")
    string(APPEND body ".SH DESCRIPTION\n${SUB_DESCRIPTION}")
  endif()
  string(APPEND body "${SUB_SECTIONS}")
  foreach(nested IN LISTS SUB_SUBCOMMANDS)
    ts_program_help(help ${sub} ${nested})
    ts_parse_help(NESTED "${help}" SS)
    string(TOUPPER "${NAME} ${sub} ${nested}" title)
    string(REPLACE "-" "\\-" title "${title}")
    ts_roff_synopsis(synopsis "${NESTED_USAGE}" "${NAME} ${sub} ${nested}")
    string(APPEND body ".SH \"${title}\"\n${synopsis}")
    if(NOT NESTED_DESCRIPTION STREQUAL "")
      string(APPEND body ".PP\n${NESTED_DESCRIPTION}")
    endif()
    string(APPEND body "${NESTED_SECTIONS}")
  endforeach()
  ts_see_also(see "${NAME}-${sub}" "${pages}")
  string(APPEND body "${see}")
  ts_write_page("${NAME}-${sub}" "${NAME} ${sub}" "${SUB_SUMMARY}" "${body}")
endforeach()

list(JOIN pages " " shown)
message(STATUS "Man pages of ${NAME}: ${shown}")

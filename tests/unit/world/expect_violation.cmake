# Runs `outpost sim run` on a scenario expected to break an invariant and checks what a user would rely on: exit
# status 1, each violation named (invariant, node, virtual time, seed), and the exact command that replays the seed.
#   cmake -DOUTPOST=<binary> -DSCENARIO=<file> -DSEED=<n> -DNETWORK=<direct|simulated> -P expect_violation.cmake
execute_process(
  COMMAND ${OUTPOST} sim run ${SCENARIO} --seed ${SEED} --network ${NETWORK}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors)
message("${output}")
if(NOT status EQUAL 1)
  message(FATAL_ERROR "exit status ${status}, expected 1 (a violation)\n${errors}")
endif()
set(expected
  "seed ${SEED}: FAILED"
  "  violation: [a-z-]+ at [a-z0-9]+:[0-9]+, virtual time [0-9hms]+ \\([0-9T:.Z-]+\\), seed ${SEED}: "
  "    last events involving [a-z0-9]+:")
foreach(pattern IN LISTS expected)
  if(NOT output MATCHES "${pattern}")
    message(FATAL_ERROR "the output lacks /${pattern}/")
  endif()
endforeach()
# The replay names the executable as it was run (here by its full path), so it runs as pasted.
set(replay "  replay: ${OUTPOST} sim run ${SCENARIO} --seed ${SEED} --network ${NETWORK}\n")
string(FIND "${output}" "${replay}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the output lacks the line '${replay}'")
endif()

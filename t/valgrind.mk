# The integration suite under valgrind memcheck (nginx with master_process
# off, any memory error or definite leak fails; see t/lib/IcpTest.pm), and
# the full 60 s chaos run.
#
#   test-valgrind  ICP_VALGRIND=1 prove -r t/ (slow: tens of minutes)
#   chaos          bench/chaos/run.sh, CHAOS_SECS seconds (default 60)

CHAOS_SECS ?= 60

test-valgrind: module tools
	ICP_VALGRIND=1 prove -r t/

chaos: module tools
	sh bench/chaos/run.sh $(CHAOS_SECS)

.PHONY: test-valgrind chaos

# The benchmarks (bench/README.md), not part of `make test`:
#
#   bench          every benchmark below, one after the other
#   bench-http     requests/s and latency: plain nginx, cache hits, misses
#   bench-memory   worker memory over 1,000,000 requests
#   bench-profile  instructions per request under callgrind, by function
#   bench-lua-check  the Lua comparator decides as the module does
#   bench-aa       false positives of peeking, fixed-horizon and sequential
#
# bench-rules, bench-load and bench-report come from the fragments of
# lua-free-rules/ and tools/.  Each script starts its own servers on free
# loopback ports and stops them however it ends.

BENCH_DEPS := $(MODULE) $(LOAD_BIN)

# the Lua comparator's (bench/lua); resty.redis is unpacked by the scripts
DEB_PACKAGES += libnginx-mod-http-lua lua-resty-core

.PHONY: bench-http bench-memory bench-profile bench-lua-check

bench-http: $(BENCH_DEPS)
	sh bench/http/run.sh $(MODULE) $(BUILD)/bin $(BUILD)/bench/lua

bench-memory: $(BENCH_DEPS)
	sh bench/memory/run.sh $(MODULE) $(BUILD)/bin

bench-profile: $(BENCH_DEPS)
	sh bench/http/profile.sh $(MODULE) $(BUILD)/bin $(BUILD)/bench/http \
	    $(BUILD)/bench/lua

bench-lua-check: $(BENCH_DEPS)
	sh bench/lua/check.sh $(MODULE) $(BUILD)/bin $(BUILD)/bench/lua

# built first, then run in turn: two benchmarks at once would share the CPU
bench: $(BENCH_DEPS) tools
	$(MAKE) --no-print-directory bench-http
	$(MAKE) --no-print-directory bench-memory
	$(MAKE) --no-print-directory bench-rules
	$(MAKE) --no-print-directory bench-load
	$(MAKE) --no-print-directory bench-report
	$(MAKE) --no-print-directory bench-aa

# The A/A simulation of peeking (bench/report/aa_sim.c): false-positive
# rates of the fixed-horizon and the sequential test.  tests/test_seq.c
# runs the same simulation and asserts them.
AA_SIM_OBJ := $(BUILD)/bench/report/aa_sim.o

$(AA_SIM_OBJ): bench/report/aa_sim.c bench/report/aa_sim.h tools/report/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itools -c -o $@ $<

$(BUILD)/bench/report/aa-sim: bench/report/aa_main.c $(AA_SIM_OBJ) \
    $(BUILD)/tools/report/seq.o $(BUILD)/tools/report/stats.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ -lm $(ALL_LDFLAGS)

TEST_OBJS_test_seq += $(AA_SIM_OBJ)
$(BUILD)/tests/test_seq: $(AA_SIM_OBJ)

bench-aa: $(BUILD)/bench/report/aa-sim
	$(BUILD)/bench/report/aa-sim

.PHONY: bench-aa

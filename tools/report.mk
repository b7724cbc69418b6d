# icp-report: A/B analysis of the module's JSON log (tools/report/).
# Included by the top-level Makefile; paths are relative to the repo root.

REPORT_SRCS := $(sort $(wildcard tools/report/*.c))
REPORT_OBJS := $(REPORT_SRCS:%.c=$(BUILD)/%.o)
# everything but main(), for the unit tests
REPORT_LIB_OBJS := $(filter-out $(BUILD)/tools/report/main.o,$(REPORT_OBJS))
REPORT_BIN  := $(BUILD)/bin/icp-report

$(BUILD)/tools/report/%.o: tools/report/%.c tools/report/*.h \
                           lua-free-rules/lfr.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itools -c -o $@ $<

$(REPORT_BIN): $(REPORT_OBJS) $(LFR_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(REPORT_OBJS) $(LFR_LIB) $(LFR_LIBS) \
	    -lz -lm $(ALL_LDFLAGS)

TOOLS     += $(REPORT_BIN)
TEST_DEPS += $(REPORT_LIB_OBJS)

TEST_OBJS_test_report_line := $(BUILD)/tools/report/line.o
TEST_OBJS_test_report_agg  := $(REPORT_LIB_OBJS)
TEST_OBJS_test_stats       := $(BUILD)/tools/report/stats.o
TEST_OBJS_test_report_instant := $(BUILD)/tools/report/instant.o
TEST_OBJS_test_report_out  := $(REPORT_LIB_OBJS)
TEST_OBJS_test_seq         := $(BUILD)/tools/report/seq.o \
                              $(BUILD)/tools/report/stats.o
TEST_OBJS_test_multi       := $(BUILD)/tools/report/multi.o \
                              $(BUILD)/tools/report/stats.o
TEST_OBJS_test_power       := $(BUILD)/tools/report/power.o

# the line parser, then the whole report, under libFuzzer, ASan and UBSan,
# for FUZZ_TIME seconds (FUZZ_DIR and FUZZ_TIME come from rules.mk); new
# inputs go to $(FUZZ_DIR)/corpus-report, crashes to tests/fuzz/
FUZZ_REPORT := $(FUZZ_DIR)/fuzz_report_line
FUZZ_REPORT_SRCS := $(filter-out tools/report/main.c,$(REPORT_SRCS)) \
                    $(LFR_SRCS)

$(FUZZ_REPORT): tests/fuzz/fuzz_report_line.c $(FUZZ_REPORT_SRCS) \
                tools/report/*.h lua-free-rules/*.h
	@mkdir -p $(dir $@)
	clang -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g -O1 \
	    -Ilua-free-rules -Itools \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ tests/fuzz/fuzz_report_line.c $(FUZZ_REPORT_SRCS) \
	    $(LFR_LIBS) -lm

fuzz-report: $(FUZZ_REPORT)
	@mkdir -p $(FUZZ_DIR)/corpus-report
	$(FUZZ_REPORT) -max_total_time=$(FUZZ_TIME) -max_len=4096 -timeout=10 \
	    -artifact_prefix=tests/fuzz/ \
	    $(FUZZ_DIR)/corpus-report tests/fuzz/corpus/report

bench-report: $(REPORT_BIN)
	sh bench/report/run.sh $(REPORT_BIN)

.PHONY: fuzz-report bench-report

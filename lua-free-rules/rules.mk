# lua-free-rules: the library, the icp-rules CLI and its unit tests.
# Included by the top-level Makefile; paths are relative to the repo root.

LFR_SRCS := $(sort $(wildcard lua-free-rules/*.c))
LFR_OBJS := $(LFR_SRCS:%.c=$(BUILD)/%.o)
LFR_LIB  := $(BUILD)/liblfr.a
LFR_LIBS := -lpcre2-8

$(BUILD)/lua-free-rules/%.o: lua-free-rules/%.c lua-free-rules/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LFR_LIB): $(LFR_OBJS)
	rm -f $@ && ar rcs $@ $^

# The industry vocabulary `icp-rules check` reads unless told another:
# this tree's; a package sets it to where it installs the file.
INDUSTRIES ?= $(CURDIR)/tools/load/industries.tsv

$(BUILD)/bin/icp-rules: lua-free-rules/cli/icp-rules.c $(LFR_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DICP_INDUSTRIES='"$(INDUSTRIES)"' -o $@ $< \
	    $(LFR_LIB) $(LFR_LIBS) $(ALL_LDFLAGS)

TOOLS += $(BUILD)/bin/icp-rules


# The README's case table, the example files and the broken ones: the
# lead wires this into `make test`.
.PHONY: check-rules-cases fuzz-rules bench-rules

check-rules-cases: $(BUILD)/bin/icp-rules
	sh tests/rules-cases.sh $(BUILD)/bin/icp-rules


# libFuzzer on the compiler and evaluator, built from the library sources
# with clang's fuzzer and sanitizers; new inputs go to build/fuzz/corpus,
# crashes to tests/fuzz/ (ignored by git until they become unit tests).
FUZZ_TIME ?= 60
FUZZ_DIR  := $(BUILD)/fuzz
FUZZ_DICT := $(FUZZ_DIR)/rules.dict
FUZZ_WORDS := icp exclude persona route experiment variant weight \
              threshold in not has exists missing '==' '!=' '<' '<=' \
              '>' '>=' '~' '~*' '!~' '!~*' .. utm_source utm_campaign \
              utm_term employees revenue industry country title firmo. \
              contact. '$$host' \
              visits click_id none excluded '*' 1K 1.5M '{' '}' '(' ')' ';'

$(FUZZ_DIR)/fuzz_rules: tests/fuzz/fuzz_rules.c $(LFR_SRCS) \
                        lua-free-rules/*.h
	@mkdir -p $(dir $@)
	clang -std=c99 -D_DEFAULT_SOURCE -g -O1 -Ilua-free-rules \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ $< $(LFR_SRCS) $(LFR_LIBS)

$(FUZZ_DICT):
	@mkdir -p $(dir $@)
	for w in $(FUZZ_WORDS); do printf '"%s"\n' "$$w"; done > $@

fuzz-rules: $(FUZZ_DIR)/fuzz_rules $(FUZZ_DICT)
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_rules -max_total_time=$(FUZZ_TIME) -max_len=4096 \
	    -timeout=10 -dict=$(FUZZ_DICT) -artifact_prefix=tests/fuzz/ \
	    $(FUZZ_DIR)/corpus tests/fuzz/corpus/rules examples/rules


# Instructions per classification under callgrind (bench/rules/run.sh).
$(BUILD)/bench/rules/driver: bench/rules/driver.c $(LFR_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LFR_LIB) $(LFR_LIBS) $(ALL_LDFLAGS)

bench-rules: $(BUILD)/bench/rules/driver $(BUILD)/bin/icp-rules
	sh bench/rules/run.sh $(BUILD)


# The lexer's tests read its private header, so they live inside the
# library; every other unit test sees lfr.h only.
LFR_UNIT_SRCS := $(sort $(wildcard lua-free-rules/tests/test_*.c))
UNIT_BINS += $(LFR_UNIT_SRCS:lua-free-rules/tests/%.c=$(BUILD)/lfr-tests/%)

$(BUILD)/lfr-tests/%: lua-free-rules/tests/%.c lua-free-rules/*.h $(LFR_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LFR_LIB) $(LFR_LIBS) -lcmocka \
	    $(ALL_LDFLAGS)

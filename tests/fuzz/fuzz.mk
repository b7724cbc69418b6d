# libFuzzer targets of the module's plain-C parts, and the targets that run
# every fuzzer of the repo.  Included by the top-level Makefile after
# lua-free-rules/rules.mk (FUZZ_DIR, FUZZ_TIME, FUZZ_DICT), tools/report.mk
# (FUZZ_REPORT) and ngx_icp_module/lookup.mk (FUZZ_FIRMO).
#
#   fuzz-query    the query-string / UTM decoder (icp_query.c)
#   fuzz-context  the context cookie decoder and its signature check
#   fuzz-json     lfr_json_escape, its output read by a strict JSON reader
#   fuzz-resp     the reply framing (icp_resp.c) against hiredis's reader
#   fuzz          all seven fuzzers in turn, FUZZ_TIME seconds each
#   fuzz-smoke    all seven, FUZZ_SMOKE_TIME seconds each, from the seeds
#
# New inputs go to $(FUZZ_DIR)/corpus-NAME, crashes to tests/fuzz/ (ignored
# by git until they become a tests/test_regress_*.c).

FUZZ_SMOKE_TIME ?= 5
FUZZ_CFLAGS := -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g -O1 \
               -Ilua-free-rules -Ingx_icp_module \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUN    := -max_len=4096 -timeout=10 -artifact_prefix=tests/fuzz/

$(FUZZ_DIR)/fuzz_query: tests/fuzz/fuzz_query.c ngx_icp_module/icp_query.c \
                        ngx_icp_module/icp_query.h lua-free-rules/lfr_json.c \
                        lua-free-rules/*.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< ngx_icp_module/icp_query.c \
	    lua-free-rules/lfr_json.c

$(FUZZ_DIR)/fuzz_context: tests/fuzz/fuzz_context.c \
                          ngx_icp_module/icp_context.c \
                          ngx_icp_module/icp_context.h \
                          ngx_icp_module/icp_query.c \
                          ngx_icp_module/icp_query.h \
                          lua-free-rules/lfr_json.c lua-free-rules/*.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< ngx_icp_module/icp_context.c \
	    ngx_icp_module/icp_query.c lua-free-rules/lfr_json.c -lcrypto

$(FUZZ_DIR)/fuzz_json: tests/fuzz/fuzz_json.c lua-free-rules/lfr_json.c \
                       lua-free-rules/*.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< lua-free-rules/lfr_json.c

$(FUZZ_DIR)/fuzz_resp: tests/fuzz/fuzz_resp.c ngx_icp_module/icp_resp.c \
                       ngx_icp_module/icp_resp.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< ngx_icp_module/icp_resp.c -lhiredis

fuzz-query fuzz-context fuzz-json fuzz-resp: fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus-$*
	$< -max_total_time=$(FUZZ_TIME) $(FUZZ_RUN) \
	    $(FUZZ_DIR)/corpus-$* tests/fuzz/corpus/$*

# In turn, not in parallel even under -j: each fuzzer takes a whole core.
FUZZ_ALL := fuzz-rules fuzz-report fuzz-firmo fuzz-query fuzz-context \
            fuzz-json fuzz-resp

fuzz:
	@for t in $(FUZZ_ALL); do $(MAKE) --no-print-directory $$t || exit 1; \
	done

# A few seconds each from the committed seeds into a scratch corpus, so the
# run does not depend on what earlier long runs left in $(FUZZ_DIR).
FUZZ_SMOKE = \
    rules:$(FUZZ_DIR)/fuzz_rules:tests/fuzz/corpus/rules:-dict=$(FUZZ_DICT) \
    report:$(FUZZ_REPORT):tests/fuzz/corpus/report: \
    firmo:$(FUZZ_FIRMO):tests/fuzz/corpus/firmo: \
    query:$(FUZZ_DIR)/fuzz_query:tests/fuzz/corpus/query: \
    context:$(FUZZ_DIR)/fuzz_context:tests/fuzz/corpus/context: \
    json:$(FUZZ_DIR)/fuzz_json:tests/fuzz/corpus/json: \
    resp:$(FUZZ_DIR)/fuzz_resp:tests/fuzz/corpus/resp:

fuzz-smoke: $(FUZZ_DIR)/fuzz_rules $(FUZZ_DICT) $(FUZZ_REPORT) \
            $(FUZZ_FIRMO) $(FUZZ_DIR)/fuzz_query $(FUZZ_DIR)/fuzz_context \
            $(FUZZ_DIR)/fuzz_json $(FUZZ_DIR)/fuzz_resp
	@pass=0; fail=0; \
	for f in $(FUZZ_SMOKE); do \
	    set -- $$(echo $$f | tr : ' '); \
	    name=$$1; bin=$$2; seeds=$$3; opt=$$4; \
	    dir=$(FUZZ_DIR)/smoke/$$name; rm -rf $$dir; mkdir -p $$dir; \
	    if $$bin -max_total_time=$(FUZZ_SMOKE_TIME) $(FUZZ_RUN) $$opt \
	        $$dir $$seeds > $$dir.log 2>&1; then \
	        pass=$$((pass + 1)); \
	        echo "fuzz-smoke $$name: $$(grep -o 'Done [0-9]* runs' $$dir.log)"; \
	    else \
	        fail=$$((fail + 1)); \
	        echo "fuzz-smoke $$name: FAILED, see $$dir.log"; \
	        tail -n 30 $$dir.log; \
	    fi; \
	done; \
	echo "fuzz-smoke: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

.PHONY: fuzz fuzz-smoke fuzz-query fuzz-context fuzz-json fuzz-resp

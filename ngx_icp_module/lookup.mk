# The lookup stage's extra targets.  Included by the top-level Makefile
# after lua-free-rules/rules.mk (it uses LFR_SRCS, LFR_LIBS and FUZZ_DIR).
#
#   fuzz-firmo    icp_firmo under libFuzzer, ASan and UBSan, FUZZ_TIME s
#   bench-lookup  requests/s with cache hits, misses and no lookup

FUZZ_FIRMO := $(FUZZ_DIR)/fuzz_firmo

$(FUZZ_FIRMO): tests/fuzz/fuzz_firmo.c ngx_icp_module/icp_firmo.c \
               ngx_icp_module/icp_firmo.h $(LFR_SRCS) lua-free-rules/*.h
	@mkdir -p $(dir $@)
	clang -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g -O1 \
	    -Ilua-free-rules -Ingx_icp_module \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ $< ngx_icp_module/icp_firmo.c $(LFR_SRCS) $(LFR_LIBS) \
	    -lhiredis

fuzz-firmo: $(FUZZ_FIRMO)
	@mkdir -p $(FUZZ_DIR)/corpus-firmo
	$(FUZZ_FIRMO) -max_total_time=$(FUZZ_TIME) -max_len=4096 \
	    -artifact_prefix=tests/fuzz/ \
	    $(FUZZ_DIR)/corpus-firmo tests/fuzz/corpus/firmo

bench-lookup: $(MODULE)
	sh bench/lookup/run.sh $(MODULE)

.PHONY: fuzz-firmo bench-lookup

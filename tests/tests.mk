# Unit tests: every tests/test_*.c is one cmocka binary, linked with the
# rules library, the module's plain-C parts (ngx_icp_module/icp_*.c, no
# nginx types) and whatever TEST_OBJS_<name> / TEST_LIBS_<name> the
# fragment that owns a tool adds.

ICP_SRCS := $(sort $(wildcard ngx_icp_module/icp_*.c))
ICP_OBJS := $(ICP_SRCS:%.c=$(BUILD)/%.o)
ICP_LIB  := $(BUILD)/libicp.a
ICP_LIBS := -lhiredis -lcrypto

$(BUILD)/ngx_icp_module/%.o: ngx_icp_module/%.c ngx_icp_module/icp_*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(ICP_LIB): $(ICP_OBJS)
	rm -f $@ && ar rcs $@ $^

UNIT_SRCS := $(sort $(wildcard tests/test_*.c))
UNIT_BINS += $(UNIT_SRCS:tests/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LFR_LIB) $(ICP_LIB) \
    $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itools -Ingx_icp_module -o $@ $< \
	    $(TEST_OBJS_$*) $(ICP_LIB) $(LFR_LIB) $(LFR_LIBS) $(ICP_LIBS) \
	    $(TEST_LIBS_$*) -lcmocka -lm $(ALL_LDFLAGS)

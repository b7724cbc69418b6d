# Unit tests: every tests/test_*.c is one cmocka binary.  A test file says
# which library it needs through the LIBS_<name> variable set by the
# fragment that owns that library; by default it links lua-free-rules.

UNIT_SRCS := $(sort $(wildcard tests/test_*.c))
UNIT_BINS += $(UNIT_SRCS:tests/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/%.c $(LFR_LIB) $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itools -o $@ $< $(TEST_OBJS_$*) $(LFR_LIB) \
	    $(LFR_LIBS) $(TEST_LIBS_$*) -lcmocka -lm $(ALL_LDFLAGS)

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

$(BUILD)/bin/icp-rules: lua-free-rules/cli/icp-rules.c $(LFR_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LFR_LIB) $(LFR_LIBS) $(ALL_LDFLAGS)

TOOLS += $(BUILD)/bin/icp-rules

# icp-load: the CSV-to-Redis loader, its unit tests and its benchmark.
# Included by the top-level Makefile; paths are relative to the repo root.

LOAD_SRCS := $(sort $(wildcard tools/load/*.c))
LOAD_OBJS := $(LOAD_SRCS:%.c=$(BUILD)/%.o)
LOAD_BIN  := $(BUILD)/bin/icp-load

$(BUILD)/tools/load/%.o: tools/load/%.c tools/load/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LOAD_BIN): $(LOAD_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -lhiredis $(ALL_LDFLAGS)

TOOLS += $(LOAD_BIN)

TEST_OBJS_test_csv  := $(BUILD)/tools/load/csv.o
TEST_OBJS_test_load := $(BUILD)/tools/load/key.o \
                       $(BUILD)/tools/load/preset.o \
                       $(BUILD)/tools/load/schema.o \
                       $(BUILD)/tools/load/csv.o
TEST_OBJS_test_load_row := $(filter-out $(BUILD)/tools/load/main.o, \
                                       $(LOAD_OBJS))
TEST_LIBS_test_load_row := -lhiredis
TEST_DEPS += $(TEST_OBJS_test_csv) $(TEST_OBJS_test_load) \
             $(TEST_OBJS_test_load_row)

.PHONY: bench-load

bench-load: $(LOAD_BIN)
	sh bench/load/run.sh $(LOAD_BIN)

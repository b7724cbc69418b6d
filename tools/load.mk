# icp-load: the CSV-to-Redis loader, its unit tests and its benchmark.
# Included by the top-level Makefile; paths are relative to the repo root.

LOAD_SRCS := $(sort $(wildcard tools/load/*.c))
LOAD_DATA := tools/load/industries.tsv tools/load/countries.tsv
LOAD_OBJS := $(LOAD_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tools/load/data.o
LOAD_BIN  := $(BUILD)/bin/icp-load

$(BUILD)/tools/load/%.o: tools/load/%.c tools/load/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the vocabulary files, compiled in (tools/load/vocab.h)
$(BUILD)/tools/load/data.c: tools/load/embed.sh $(LOAD_DATA)
	@mkdir -p $(dir $@)
	sh tools/load/embed.sh $(LOAD_DATA) > $@.new && mv $@.new $@

$(BUILD)/tools/load/data.o: $(BUILD)/tools/load/data.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LOAD_BIN): $(LOAD_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -lhiredis $(ALL_LDFLAGS)

TOOLS += $(LOAD_BIN)

TEST_OBJS_test_csv  := $(BUILD)/tools/load/csv.o
TEST_OBJS_test_load := $(addprefix $(BUILD)/tools/load/, \
                           key.o preset.o schema.o csv.o vocab.o names.o \
                           number.o data.o)
TEST_OBJS_test_load_vocab := $(TEST_OBJS_test_load)
TEST_OBJS_test_load_row := $(filter-out $(BUILD)/tools/load/main.o, \
                                       $(LOAD_OBJS))
TEST_LIBS_test_load_row := -lhiredis
TEST_DEPS += $(TEST_OBJS_test_csv) $(TEST_OBJS_test_load) \
             $(TEST_OBJS_test_load_row)

.PHONY: bench-load

bench-load: $(LOAD_BIN)
	sh bench/load/run.sh $(LOAD_BIN)

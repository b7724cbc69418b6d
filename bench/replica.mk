# make bench-replica: an edge reading a Redis replica, for the sizing in
# docs/scaling.md (bench/replica/run.pl; not part of `make bench`).

.PHONY: bench-replica

bench-replica: $(BENCH_DEPS)
	perl bench/replica/run.pl $(BUILD)

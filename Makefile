# ngx_icp_module: build, test and demo.  See README.md.
#
# Fragments included below add their binaries to TOOLS and UNIT_BINS; every
# object goes under $(BUILD), so `make unit-asan` can rebuild the same tree
# with sanitizers into build/asan without touching build/.

NGINX_SRC  ?= /usr/share/nginx/src
NGINX_BIN  ?= /usr/sbin/nginx
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g
SAN_FLAGS  ?=
ALL_CFLAGS  = -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
              $(CFLAGS) $(SAN_FLAGS) -Ilua-free-rules
ALL_LDFLAGS = $(SAN_FLAGS)

MODULE     := $(BUILD)/ngx_http_icp_module.so
NGX_TREE   := $(BUILD)/nginx
TOOLS      :=
UNIT_BINS  :=

DEB_PACKAGES := nginx nginx-dev libhiredis-dev libpcre2-dev libssl-dev \
                zlib1g-dev redis-server redis-tools libcmocka-dev wrk \
                clang libclang-rt-14-dev valgrind perl \
                debhelper dpkg-dev build-essential curl redis-sentinel \
                python3-scipy python3-statsmodels clickhouse-server \
                clickhouse-client

.PHONY: all module tools deps unit unit-asan check integration test demo \
        clean bench FORCE

all: module tools

include lua-free-rules/rules.mk
-include tools/load.mk
-include tools/report.mk
include tests/tests.mk
-include $(sort $(wildcard ngx_icp_module/*.mk bench/*.mk tests/fuzz/*.mk \
                           t/*.mk pkg/*.mk))

tools: $(TOOLS)

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# nginx's configure writes a Makefile into its working directory, so it runs
# in a tree of symlinks under build/ and never writes into $(NGINX_SRC).
# It re-runs only when `config` or the list of source files changes.
SRC_LIST := $(sort $(wildcard ngx_icp_module/*.[ch] lua-free-rules/*.[ch]))

$(BUILD)/src-list: FORCE
	@mkdir -p $(BUILD)
	@echo '$(SRC_LIST)' | cmp -s - $@ || echo '$(SRC_LIST)' > $@

# Compiler flags as Debian builds nginx and its module packages
# (dpkg-buildflags: -O2, hardening); conf_flags does not carry them, and
# without them configure compiles the module with -O.  Asked when the
# module is built, after `make deps` has installed dpkg-dev.
$(BUILD)/cc-opt: FORCE
	@mkdir -p $(BUILD)
	@{ echo "$$(dpkg-buildflags --get CFLAGS)" \
	        "$$(dpkg-buildflags --get CPPFLAGS) -fPIC"; \
	   echo "$$(dpkg-buildflags --get LDFLAGS) -fPIC"; } > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

$(NGX_TREE)/objs/Makefile: config $(BUILD)/src-list $(BUILD)/cc-opt \
                           $(NGINX_SRC)/conf_flags
	rm -rf $(NGX_TREE) && mkdir -p $(NGX_TREE)
	for f in auto configure src; do \
	    ln -s $(NGINX_SRC)/$$f $(NGX_TREE)/$$f; done
	cd $(NGX_TREE) && bash -c '. $(NGINX_SRC)/conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="$$(sed -n 1p $(abspath $(BUILD)/cc-opt))" \
	        --with-ld-opt="$$(sed -n 2p $(abspath $(BUILD)/cc-opt))" \
	        --add-dynamic-module=$(CURDIR) --builddir=objs' \
	    > configure.log 2>&1 || { cat configure.log; exit 1; }

module: $(MODULE)

$(MODULE): $(NGX_TREE)/objs/Makefile FORCE
	$(MAKE) -C $(NGX_TREE) -f objs/Makefile modules
	@cmp -s $(NGX_TREE)/objs/ngx_http_icp_module.so $@ || \
	    cp $(NGX_TREE)/objs/ngx_http_icp_module.so $@

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

unit-asan:
	$(MAKE) BUILD=build/asan CC=clang CFLAGS='-O1 -g' \
	    SAN_FLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	    unit

# What a contributor runs on any Linux with the -dev libraries, as any
# user: nothing here needs apt, dpkg-buildflags, nginx or a Redis server,
# so it builds neither the module nor the package.
check:
	$(MAKE) unit
	$(MAKE) check-rules-cases
	prove t/99-readme.t

integration: module tools
	prove -r t/

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) fuzz-smoke
	$(MAKE) check-rules-cases
	$(MAKE) integration
	$(MAKE) deb-test

demo: deps
	$(MAKE) all
	perl examples/demo.pl

clean:
	rm -rf $(BUILD)

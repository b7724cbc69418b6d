# The Debian package libnginx-mod-http-icp, built by Debian's own tooling
# from debian/ into build/deb (a directory debian/rules names too), and the
# test that installs it.  Included by the top-level Makefile.

DEB_DIR := build/deb
# the version is debian/changelog's; `=`, so only `make deb` runs these
DEB_PV   = libnginx-mod-http-icp_$(shell dpkg-parsechangelog -S Version)
DEB_PVA  = $(DEB_PV)_$(shell dpkg-architecture -qDEB_HOST_ARCH)

.PHONY: deb deb-test

# dpkg-buildpackage writes to .. by default: the .deb goes to build/deb by
# dh_builddeb --destdir, -u tells the .buildinfo and .changes where it is
deb:
	@mkdir -p $(DEB_DIR)
	rm -f $(DEB_DIR)/*.deb $(DEB_DIR)/*.buildinfo $(DEB_DIR)/*.changes
	dpkg-buildpackage -b -us -uc -Jauto \
	    --buildinfo-option=-u$(DEB_DIR) --changes-option=-u$(DEB_DIR) \
	    --buildinfo-file=$(DEB_DIR)/$(DEB_PVA).buildinfo \
	    --changes-file=$(DEB_DIR)/$(DEB_PVA).changes

deb-test: deb
	ICP_DEB_TEST=1 prove t/95-deb.t

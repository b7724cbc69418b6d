# The Debian package libnginx-mod-http-icp, built by Debian's own tooling
# from debian/ into build/deb (a directory debian/rules names too), and the
# test that installs it.  Included by the top-level Makefile.

DEB_DIR := build/deb

.PHONY: deb deb-test

# -u: the .deb is written to build/deb (dh_builddeb --destdir), not to ..
deb:
	@mkdir -p $(DEB_DIR)
	rm -f $(DEB_DIR)/*.deb $(DEB_DIR)/*.buildinfo $(DEB_DIR)/*.changes
	dpkg-buildpackage -b -us -uc -Jauto \
	    --buildinfo-option=-u$(DEB_DIR) --changes-option=-u$(DEB_DIR) \
	    --buildinfo-file=$(DEB_DIR)/libnginx-mod-http-icp.buildinfo \
	    --changes-file=$(DEB_DIR)/libnginx-mod-http-icp.changes

deb-test: deb
	ICP_DEB_TEST=1 prove t/95-deb.t

# Rows for the icp-load benchmark: awk -v n=ROWS -f bench/load/gen.awk
#
# Per 20 rows: 16 IPv4 ip rows, 2 IPv6 ip rows, 1 domain row and 1 /24
# cidr row; ten columns, seven fields per key, as an enrichment export
# would have.  The same n always gives the same file.
BEGIN {
    print "ip,cidr,domain,company,industry,employees,revenue,country," \
          "region,tech"
    split("software,marketing services,manufacturing,retail," \
          "financial services", industry, ",")
    split("US,CA,GB,DE,FR", country, ",")
    srand(42)

    for (i = 0; i < n; i++) {
        r = i % 20
        ip = ""
        net = ""
        dom = ""

        if (r < 16) {
            ip = sprintf("10.%d.%d.%d", int(i / 65536) % 256,
                         int(i / 256) % 256, i % 256)
        } else if (r < 18) {
            ip = sprintf("2001:db8:%x::%x", int(i / 65536), i % 65536)
        } else if (r < 19) {
            dom = sprintf("company-%d.example", i)
        } else {
            net = sprintf("172.%d.%d.0/24", 16 + int(i / 65536) % 16,
                          int(i / 256) % 256)
        }

        printf "%s,%s,%s,\"Company %d, Inc.\",%s,%d,%d,%s,Region %d," \
               "\"hubspot,salesforce\"\n",
               ip, net, dom, i, industry[1 + i % 5], 1 + int(rand() * 5000),
               int(rand() * 1e9), country[1 + i % 5], i % 50
    }
}

/*
 * icp-load presets: how the column headers of a CRM's companies export,
 * or of a reverse-IP provider's, map onto the firmographic fields of
 * docs/redis.md.
 *
 * Columns a preset does not name still load, under their header turned
 * into a field name ("Year Founded" -> year_founded).  Owners, dates,
 * phone numbers, street addresses and free-text descriptions are dropped:
 * no rule reads them, and a description can be kilobytes per company.
 */

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "preset.h"


/* HubSpot: CRM > Companies > Export, default properties. */
static const load_map_t  load_hubspot[] = {
    { "Company Domain Name", "domain" },
    { "Company name", "company" },
    { "Industry", "industry" },
    { "Number of Employees", "employees" },
    { "Annual Revenue", "revenue" },
    { "Country/Region", "country" },
    { "State/Region", "region" },
    { "City", "city" },
    { "Web Technologies", "tech" },
    { "Lifecycle Stage", "lifecycle" },
    { "Type", "type" },
    { "Record ID", "hubspot_id" },
    { "Website URL", "website" },
    { "Year Founded", "founded" },
    { "Company owner", "" },
    { "Create Date", "" },
    { "Last Activity Date", "" },
    { "Last Modified Date", "" },
    { "Phone Number", "" },
    { "Street Address", "" },
    { "Street Address 2", "" },
    { "Postal Code", "" },
    { "Description", "" },
    { NULL, NULL }
};


/*
 * Salesforce: an Accounts report.  Website holds a URL; the domain key
 * keeps only its host (see load_domain()).
 */
static const load_map_t  load_salesforce[] = {
    { "Website", "domain" },
    { "Account Name", "company" },
    { "Industry", "industry" },
    { "Employees", "employees" },
    { "Annual Revenue", "revenue" },
    { "Billing Country", "country" },
    { "Billing State/Province", "region" },
    { "Billing City", "city" },
    { "Type", "type" },
    { "Account ID", "salesforce_id" },
    { "SIC Code", "sic" },
    { "NAICS Code", "naics" },
    { "Account Owner", "" },
    { "Created Date", "" },
    { "Last Activity", "" },
    { "Last Modified Date", "" },
    { "Phone", "" },
    { "Fax", "" },
    { "Billing Street", "" },
    { "Billing Zip/Postal Code", "" },
    { "Description", "" },
    { NULL, NULL }
};


/*
 * A reverse-IP or enrichment export (Clearbit Reveal, 6sense, Demandbase,
 * People Data Labs and the like, as CSV): the headers such exports use
 * for the address or network, the company and the match confidence.
 * Columns already named ip, cidr, domain, ... need no mapping.
 */
static const load_map_t  load_reverse_ip[] = {
    { "IP Address", "ip" },
    { "IP", "ip" },
    { "Network", "cidr" },
    { "IP Range", "cidr" },
    { "CIDR", "cidr" },
    { "Company Domain", "domain" },
    { "Domain", "domain" },
    { "Website", "domain" },
    { "Company Name", "company" },
    { "Company", "company" },
    { "Name", "company" },
    { "Industry", "industry" },
    { "SIC", "sic" },
    { "NAICS", "naics" },
    { "Employee Count", "employees" },
    { "Employees", "employees" },
    { "Employee Range", "employees" },
    { "Size", "employees" },
    { "Annual Revenue", "revenue" },
    { "Revenue", "revenue" },
    { "Revenue Range", "revenue" },
    { "Country", "country" },
    { "Country Code", "country" },
    { "Confidence", "confidence" },
    { "Match Confidence", "confidence" },
    { "Confidence Score", "confidence" },
    { "Score", "confidence" },
    { NULL, NULL }
};


const load_map_t *
load_preset(const char *name)
{
    if (strcmp(name, "hubspot") == 0) {
        return load_hubspot;
    }

    if (strcmp(name, "salesforce") == 0) {
        return load_salesforce;
    }

    if (strcmp(name, "reverse-ip") == 0) {
        return load_reverse_ip;
    }

    return NULL;
}


const char *
load_map_find(const load_map_t *map, const char *column)
{
    for ( /* void */ ; map->column != NULL; map++) {
        if (strcasecmp(map->column, column) == 0) {
            return map->field;
        }
    }

    return NULL;
}

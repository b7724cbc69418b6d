/*
 * icp-load presets: how the column headers of a CRM's companies export
 * map onto the firmographic fields of docs/redis.md.
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


const load_map_t *
load_preset(const char *name)
{
    if (strcmp(name, "hubspot") == 0) {
        return load_hubspot;
    }

    if (strcmp(name, "salesforce") == 0) {
        return load_salesforce;
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

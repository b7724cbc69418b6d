/*
 * icp-load column mappings: --map COL=FIELD pairs and the presets for
 * CRM and reverse-IP exports (--preset hubspot, salesforce, reverse-ip).
 */

#ifndef ICP_LOAD_PRESET_H
#define ICP_LOAD_PRESET_H


/* column is matched case-insensitively; an empty field drops the column */
typedef struct {
    const char  *column;
    const char  *field;
} load_map_t;


/* A table ending with a NULL column, or NULL for an unknown preset. */
const load_map_t *load_preset(const char *name);

/* The field a table maps a column to, or NULL when it does not. */
const char *load_map_find(const load_map_t *map, const char *column);

#endif /* ICP_LOAD_PRESET_H */

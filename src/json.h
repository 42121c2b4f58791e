/* json.h - JSON text for the outputs: strings escaped so any comm stays valid JSON */
#ifndef OOMREAPER_JSON_H
#define OOMREAPER_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "identity.h"

/*
 * Escapes len bytes of s as the inside of a JSON string into out (cap bytes, NUL-terminated
 * when cap > 0): quote, backslash and control bytes as escapes, valid UTF-8 as it is, and
 * any byte that is not valid UTF-8 as \u00XX (its Latin-1 reading), so the output is always
 * valid UTF-8. Only whole escapes and whole characters are written: cut short, the output
 * is still the valid inside of a string. Returns the length the whole escape needs, which
 * may exceed cap - 1.
 */
size_t json_escape(const char *s, size_t len, char *out, size_t cap);

/* Writes s as a quoted JSON string to f. */
void json_string(FILE *f, const char *s, size_t len);

/*
 * Writes the members of id that are known, each as ', "key": "value"': pod_uid,
 * container_id, qos_class, unit. Nothing for what is not known.
 */
void json_identity(FILE *f, const struct identity *id);

#endif

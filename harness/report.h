/* report.h: what a run tells its users: results.json for CI (its schema is
 * harness/results.schema.json) and a one-screen summary for people. */
#ifndef CT_REPORT_H
#define CT_REPORT_H
#include "run.h"

#include <stdio.h>

#define CT_VERSION	    "0.1.0"
#define CT_PROTOCOL_VERSION 1

struct report_run {
	const char *impl;
	bool seed_given;
	uint64_t seed;
	enum scenario_level level;
	bool reduced;
	double duration_s;
	char started[32]; /* ISO 8601 UTC */
	const struct scen_result *results;
	size_t n;
};

/* Writes dir/results.json (creating dir if needed) atomically: a temporary
 * file renamed into place, so a reader never sees half a report. 0 or
 * -errno. */
int report_write_json(const struct report_run *rr, const char *dir);
/* The human summary. */
void report_print_summary(const struct report_run *rr, FILE *out, const char *json_path);
/* Counts for the exit status. */
void report_counts(const struct report_run *rr, size_t *passed, size_t *failed, size_t *skipped,
		   size_t *errors);

#endif

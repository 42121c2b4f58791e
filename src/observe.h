/* observe.h - what the daemon shows of itself: the snapshot its status socket hands out
 * (serve.h) and its Prometheus metrics file, both made after the scopes' own work in each
 * turn of the loop, never on the kill path */
#ifndef OOMREAPER_OBSERVE_H
#define OOMREAPER_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_state.h"

/* The metrics file is written at most this often, and after each event */
#define METRICS_EVERY_NS 1000000000LL

/*
 * At start: the status socket (the configuration's, or the default place) and the start
 * time. Returns 0; or -errno with the reason in err when a socket the configuration names
 * cannot be served (the default place busy or unusable is only said, as a warning).
 */
int observe_start(struct daemon *dmn, char *err, size_t len);
/* The daemon's state now, as a snapshot */
void observe_snapshot(struct daemon *dmn, struct snapshot *snap);
/* After the scopes' work in a turn: answers the status clients, writes the metrics file */
void observe_turn(struct daemon *dmn, long long now);
/* Whether observe_turn() has anything to do now. Inline: an idle loop touches no code of
 * observe.c or serve.c, whose pages would stay resident (resident.h) */
static inline bool observe_due(const struct daemon *dmn, long long now)
{
	return serve_busy(&dmn->server) ||
	       (dmn->conf->metrics_file[0] &&
		(now >= dmn->next_metrics || dmn->stats.events != dmn->metrics_events));
}
void observe_stop(struct daemon *dmn);

#endif

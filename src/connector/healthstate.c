/*
 * The state of one server under its health checks, as nginx Plus keeps
 * it: `fails` failed probes in a row take it down, `passes` passed
 * probes in a row bring it back; anything else changes nothing.
 */
#include "config.h"

#include "health.h"

int
mg_health_note(mg_health_state_t *s, int ok, const mg_health_conf_t *h)
{
	if (!s->down) {
		s->fails = ok ? 0 : s->fails + 1;
		if (s->fails < h->fails)
			return MG_HEALTH_SAME;
		s->down = 1;
		s->fails = s->passes = 0;
		return MG_HEALTH_WENT_DOWN;
	}
	s->passes = ok ? s->passes + 1 : 0;
	if (s->passes < h->passes)
		return MG_HEALTH_SAME;
	s->down = 0;
	s->fails = s->passes = 0;
	return MG_HEALTH_CAME_UP;
}

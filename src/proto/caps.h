/*
 * What a 2026-07-28 client can answer, as it declares in params._meta's
 * capabilities: the bridge asks it nothing else (bridge.c), and the
 * worker tells the connector in the relayed request's flags (MG_REQ_F_*
 * of ipc.h are these bits).  Bits, so a set of them is an int.
 */
#ifndef MG_CAPS_H
#define MG_CAPS_H

#define MG_CAP_ELICIT 0x08 /* elicitation/create */
#define MG_CAP_SAMPLE 0x10 /* sampling/createMessage */
#define MG_CAP_ROOTS 0x20  /* roots/list */

#endif

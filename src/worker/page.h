/*
 * Pages of mcpgw's own, served by a location instead of an MCP endpoint
 * ("location /metrics { metrics; }", "location /status { status; }"):
 * they go through the head and access phases like any request (so a
 * location's auth_keys, auth_jwt or auth_cert restricts them) and are
 * logged; page.c chooses the content handler by the directive that set
 * the page.  A page answers GET and HEAD; anything else is 405.
 * Private to worker/.
 */
#ifndef MG_PAGE_H
#define MG_PAGE_H

typedef struct mg_mcp_ex mg_mcp_ex_t;

/* page.c: the content phase of a page location. */
void mg_page_serve(mg_mcp_ex_t *ex);

/* One file each: answer EX's request with the page. */
void mg_page_metrics(mg_mcp_ex_t *ex); /* metricspage.c */
void mg_page_status(mg_mcp_ex_t *ex);  /* statuspage.c */

#endif

// Preloaded into supergateway (node --require loopback.cjs): every server
// the process opens listens on 127.0.0.1 only.  supergateway has no option
// for the address and calls app.listen(port), which listens on every
// interface; the benchmark, like every test here, binds loopback only.
'use strict';
const net = require('node:net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
	const a = args[0];
	if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
		// listen(port[, host][, backlog][, callback])
		if (typeof args[1] === 'string') args[1] = '127.0.0.1';
		else args.splice(1, 0, '127.0.0.1');
	} else if (a !== null && typeof a === 'object' && !(a instanceof net.Server) &&
		(a.port !== undefined || a.host !== undefined)) {
		args[0] = { ...a, host: '127.0.0.1' };
	}
	return listen.apply(this, args);
};

// loopback.cjs: preloaded (node --require) into a server that listens on
// every interface and has no option to do otherwise (server-everything's
// streamableHttp and sse modes: app.listen(PORT)): a listen() without a
// host binds 127.0.0.1 instead, so that a test never opens a port to the
// network.
'use strict';
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
    if ((typeof args[0] === 'number' || typeof args[0] === 'string') && /^\d+$/.test(String(args[0])) &&
        (args.length === 1 || typeof args[1] === 'function')) {
        args.splice(1, 0, '127.0.0.1');
    }
    return listen.apply(this, args);
};

module.exports = require('./global-temp-dir').setup;

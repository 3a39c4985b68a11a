// Prepended to searchindex-<hash>.js by `cargo xtask book` (see xtask/src/cjk_search.rs).
//
// mdBook's searcher.js loads that file only when the search bar opens, and calls
// `elasticlunr.Index.load` in the file's `onload`, so code here always runs after
// elasticlunr.min.js and before the index is loaded: the one place a pipeline function is sure to
// be registered in time (an `additional-js` script runs at the end of the page and can lose the
// race against `?search=...`, which starts loading the index while the page is still parsing).
//
// The index names its query pipeline ["trimmer-cjk", "stopWordFilter", "stemmer"]. `trimmer-cjk`
// is elasticlunr's own trimmer for every token without Han characters, so English queries are
// treated exactly as before; a token with Han characters keeps them (elasticlunr's trimmer strips
// every non-[A-Za-z0-9_] character, which would turn "事件循环" into an empty query) and loses only
// the punctuation around it. The Han ranges match HAN_RANGES in cjk_search.rs.
(function () {
    'use strict';
    if (typeof elasticlunr === 'undefined') {
        return;
    }
    var trimmer = function (token) {
        return elasticlunr.trimmer(token);
    };
    try {
        var han = '\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\u{20000}-\\u{3134F}';
        var hasHan = new RegExp('[' + han + ']', 'u');
        var lead = new RegExp('^[^\\w' + han + ']+', 'u');
        var trail = new RegExp('[^\\w' + han + ']+$', 'u');
        trimmer = function (token) {
            if (token === null || token === undefined) {
                throw new Error('token should not be undefined');
            }
            if (!hasHan.test(token)) {
                return elasticlunr.trimmer(token);
            }
            return token.replace(lead, '').replace(trail, '');
        };
    } catch (e) {
        // A browser without Unicode regexes still gets a working (English-only) search.
        console.warn('Chinese search disabled: ' + e);
    }
    elasticlunr.Pipeline.registerFunction(trimmer, 'trimmer-cjk');
})();

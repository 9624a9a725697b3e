// Enketo's settings for the test page (replaces enketo-core's config.js): no map
// layers, so nothing is fetched from outside (the page runs offline); the rest are
// enketo-core's defaults.
export default {
    experimentalOptimizations: { computeAsync: false },
    excludeNonRelevant: false,
    maps: [],
    googleApiKey: '',
    repeatOrdinals: false,
    validateContinuously: false,
    validatePage: true,
    swipePage: true,
    textMaxChars: 2000,
};

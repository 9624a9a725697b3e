// What Enketo Express does around enketo-core, for the test page: fetch the form list
// and the XForm from the OpenRosa server (the URL with the person's key), transform it,
// render it, and submit a record as multipart/form-data: the instance XML in
// `xml_submission_file` and each file of the record in a part named by its file name.
window.openForm = async (base, formId) => {
    const headers = { 'X-OpenRosa-Version': '1.0' };
    const list = await (await fetch(`${base}/formList`, { headers })).text();
    const doc = new DOMParser().parseFromString(list, 'text/xml');
    const entry = [...doc.getElementsByTagName('xform')].find(
        (x) => x.getElementsByTagName('formID')[0].textContent === formId
    );
    if (!entry) throw new Error(`${formId} is not in the form list`);
    const url = entry.getElementsByTagName('downloadUrl')[0].textContent;
    const xform = await (await fetch(url, { headers })).text();
    const result = await HesabuEnketo.transform({ xform });
    document.getElementById('host').innerHTML = result.form;
    window.form = new HesabuEnketo.Form(
        document.querySelector('form.or'), { modelStr: result.model }, {}
    );
    return window.form.init();
};

window.submitForm = async (base) => {
    const valid = await window.form.validate();
    if (!valid) {
        const invalid = [...document.querySelectorAll('.invalid-required, .invalid-constraint')];
        return { valid, invalid: invalid.map((q) => (q.querySelector('[name]') || {}).name) };
    }
    const body = new FormData();
    const xml = window.form.getDataStr();
    body.append('xml_submission_file', new Blob([xml], { type: 'text/xml' }),
                'xml_submission_file.xml');
    for (const file of HesabuEnketo.fileManager.getCurrentFiles()) {
        body.append(file.name, file, file.name);
    }
    const reply = await fetch(`${base}/submission`, {
        method: 'POST', body, headers: { 'X-OpenRosa-Version': '1.0' },
    });
    return { valid, status: reply.status, text: await reply.text(), xml };
};

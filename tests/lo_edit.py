"""Run by the system's python3 (it has Debian's ``uno``): an editor's change made in LibreOffice.

    python3 lo_edit.py SRC.docx DST.docx OLD NEW PROFILE_DIR

Starts a headless LibreOffice on a private pipe, opens SRC, turns on change recording, replaces OLD by NEW,
saves DST as Word 2007–365 and prints the number of replacements."""

import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    src, dst, old, new, profile = sys.argv[1:6]
    pipe = f"ketab-{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(300):
            try:
                remote = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("LibreOffice did not answer")
        desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),))
        doc.RecordChanges = True
        search = doc.createReplaceDescriptor()
        search.SearchString, search.ReplaceString = old, new
        count = doc.replaceAll(search)
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)), (prop("FilterName", "MS Word 2007 XML"),))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:
            pass  # the bridge goes away as the office quits
        print(count)
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()


main()

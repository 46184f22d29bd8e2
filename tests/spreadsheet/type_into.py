"""Type cells into a workbook with LibreOffice Calc, as a person at the keyboard does, and save.

Run by the system Python that has LibreOffice's ``uno`` module (``python3-uno``), not by the
project's interpreter:

    python3 type_into.py IN.xlsx OUT.xlsx CELLS.json PROFILE_DIR

``CELLS.json`` is ``{sheet: [[text, ...], ...]}``: rows typed from row 2 down, column A onwards,
each text entered as the keyboard enters it (``.uno:EnterString`` on the cell), which
Calc reads as typed input (so ``2024-03-18``
becomes a date cell and ``65+`` the number 65 in a cell of the General format, but stays text
in a cell formatted as text). A sheet that ``IN.xlsx`` lacks is added, with the rows as they are.
"""

import json
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


def main(source, target, cells_file, profile):
    pipe = f"outcomes_{os.getpid()}"
    office = subprocess.Popen([
        "soffice", "--headless", "--invisible", "--norestore", "--nologo",
        f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                context = resolver.resolve(
                    f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # not listening yet
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0,
                                           (prop("Hidden", True),))
        with open(cells_file, encoding="utf-8") as handle:
            cells = json.load(handle)
        sheets = doc.Sheets
        controller = doc.getCurrentController()
        frame = controller.getFrame()
        dispatcher = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", context)
        for name, rows in cells.items():
            sheet = sheets.getByName(name)
            controller.setActiveSheet(sheet)
            for r, row in enumerate(rows, start=1):
                for c, text in enumerate(row):
                    if text is None or text == "":
                        continue
                    # the keyboard's path: go to the cell, enter the text as typed
                    address = sheet.getCellByPosition(c, r).AbsoluteName
                    dispatcher.executeDispatch(frame, ".uno:GoToCell", "", 0,
                                               (prop("ToPoint", address),))
                    dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0,
                                               (prop("StringName", text),))
        doc.storeToURL(uno.systemPathToFileUrl(target),
                       (prop("FilterName", "Calc MS Excel 2007 XML"),))
        try:
            doc.close(True)
            desktop.terminate()
        except Exception:  # the bridge may go away as the office quits
            pass
    finally:
        try:
            office.wait(timeout=60)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()


if __name__ == "__main__":
    main(*sys.argv[1:5])

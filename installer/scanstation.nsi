; Trạm số hóa hồ sơ (scanstation) — Windows x64 installer. Built by installer/build.py (`make installer`),
; which passes VERSION, VIVERSION, STAGE (the staged tree), OUTFILE, COMPRESSOR and SIZE_KB.
; Per-machine install to Program Files; the station settings folder %ProgramData%\scanstation is
; writable by Administrators/SYSTEM only, readable by Users. Messages to the clerk/IT are Vietnamese.
;
; Exit codes of a silent install (setup.exe /S [/D=C:\path]):
;   0 ok; 2 cancelled/refused; 3 the station is running; 4 disk too small; 740 not an administrator.
; Uninstall: uninstall.exe /S keeps %ProgramData%\scanstation; add /PURGE to remove it too.

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID ${COMPRESSOR}
SetDatablockOptimize on
CRCCheck on

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

!define APPNAME "Trạm số hóa hồ sơ"
!define REGKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\scanstation"
!define DATADIR "$APPDATA\scanstation"          ; with SetShellVarContext all: C:\ProgramData\scanstation
; SIDs, not names: group names are translated on a Vietnamese Windows
!define ACL_GRANTS "*S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX"

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\scanstation"
RequestExecutionLevel admin
BrandingText "scanstation ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VIVERSION}"
VIFileVersion "${VIVERSION}"
VIAddVersionKey /LANG=1066 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=1066 "FileDescription" "Cài đặt ${APPNAME}"
VIAddVersionKey /LANG=1066 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1066 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1066 "LegalCopyright" "MIT licence; bundled parts: THIRD-PARTY-NOTICES.txt"

Var OldVersion
Var OldDir
Var Purge

!define MUI_ABORTWARNING
!define MUI_LICENSEPAGE_TEXT_TOP "Giấy phép của phần mềm (MIT). Các thành phần đi kèm giữ giấy phép riêng, xem THIRD-PARTY-NOTICES.txt."
!insertmacro MUI_PAGE_LICENSE "${STAGE}\LICENSE.txt"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Vietnamese"

; --- checks shared by the installer and the uninstaller -------------------------------------------
!macro RequireAdmin
  UserInfo::GetAccountType
  Pop $0
  ${If} $0 != "admin"
    MessageBox MB_ICONSTOP "Cần quyền quản trị (Administrator) để cài đặt hoặc gỡ ${APPNAME}.$\r$\nHãy nhờ cán bộ CNTT thực hiện." /SD IDOK
    SetErrorLevel 740
    Quit
  ${EndIf}
!macroend

; A running station keeps python313.dll mapped: Windows then refuses to open it for writing.
!macro RequireNotRunning
  ${If} ${FileExists} "$INSTDIR\Python\python313.dll"
    retry_running:
    ClearErrors
    FileOpen $0 "$INSTDIR\Python\python313.dll" a
    ${If} ${Errors}
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${APPNAME} đang chạy (trên máy này, có thể ở phiên đăng nhập của người khác).$\r$\nHãy đóng phần mềm rồi bấm Thử lại. Dữ liệu đang quét không bị mất khi đóng đúng cách." /SD IDCANCEL IDRETRY retry_running
      SetErrorLevel 3
      Quit
    ${EndIf}
    FileClose $0
  ${EndIf}
!macroend

Function .onInit
  SetShellVarContext all
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APPNAME} chỉ chạy trên Windows 64-bit." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  SetRegView 64
  !insertmacro RequireAdmin
  ReadRegStr $OldVersion HKLM "${REGKEY}" "DisplayVersion"
  ReadRegStr $OldDir HKLM "${REGKEY}" "InstallLocation"
  ; an upgrade goes where the old version is, unless /D= was given
  ${If} $OldDir != ""
  ${AndIf} ${FileExists} "$OldDir\Python\python.exe"
    ${GetParameters} $1
    ClearErrors
    ${GetOptions} $1 "/D=" $2
    ${If} ${Errors}
      StrCpy $INSTDIR $OldDir
    ${EndIf}
  ${EndIf}
FunctionEnd

Section "Install"
  SetShellVarContext all
  SetRegView 64
  !insertmacro RequireNotRunning

  ; disk space (the directory page checks it too, but a silent install has no page)
  ${GetRoot} "$INSTDIR" $1
  ${DriveSpace} "$1\" "/D=F /S=M" $2
  IntOp $3 ${SIZE_KB} / 1024
  IntOp $3 $3 + 200              ; compiled .pyc files and margin
  ${If} $2 != ""
  ${AndIf} $2 < $3
    MessageBox MB_ICONSTOP "Ổ đĩa $1 không đủ chỗ trống: cần khoảng $3 MB, còn $2 MB.$\r$\nHãy giải phóng ổ đĩa hoặc chọn thư mục cài đặt khác." /SD IDOK
    SetErrorLevel 4
    Quit
  ${EndIf}

  ${If} $OldVersion != ""
    DetailPrint "Nâng cấp từ phiên bản $OldVersion lên ${VERSION}; giữ nguyên thiết lập trạm, cơ sở dữ liệu và hàng đợi."
    ; program files only: settings (ProgramData) and each user's database, work area and queue
    ; (their AppData) are elsewhere and are kept; the station migrates its database when it starts
    RMDir /r "$INSTDIR\Python"
    RMDir /r "$INSTDIR\app"
  ${EndIf}

  SetOutPath "$INSTDIR"
  File /r "${STAGE}\*.*"

  DetailPrint "Biên dịch trước mã Python (lần chạy đầu nhanh hơn)..."
  nsExec::ExecToLog '"$INSTDIR\Python\python.exe" -m compileall -q -x "lib2to3|test" "$INSTDIR\Python\Lib\site-packages" "$INSTDIR\app"'
  Pop $0

  ; the station settings folder IT staff own: Administrators and SYSTEM write, Users read
  CreateDirectory "${DATADIR}"
  nsExec::ExecToStack '"$SYSDIR\icacls.exe" "${DATADIR}" /inheritance:r /grant:r ${ACL_GRANTS}'
  Pop $0
  Pop $1
  ${If} $0 != 0
    DetailPrint "Không đặt được quyền cho ${DATADIR} (icacls: $0): $1"
    MessageBox MB_ICONEXCLAMATION "Không đặt được quyền truy cập cho thư mục thiết lập ${DATADIR}.$\r$\nCán bộ CNTT cần chạy: icacls $\"${DATADIR}$\" /inheritance:r /grant:r ${ACL_GRANTS}" /SD IDOK
  ${EndIf}
  FileOpen $2 "${DATADIR}\install-acl.log" w
  FileWrite $2 "icacls exit=$0$\r$\n$1$\r$\n"
  FileClose $2

  ; Start menu (all users), in Vietnamese
  SetOutPath "$INSTDIR"
  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\Python\pythonw.exe" "-m scanstation gui" "$INSTDIR\Python\pythonw.exe" 0 SW_SHOWNORMAL "" "Quét, kiểm tra, ký số và gửi hồ sơ"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\Thông tin bản quyền.lnk" "$INSTDIR\THIRD-PARTY-NOTICES.txt"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\Gỡ cài đặt ${APPNAME}.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${REGKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKLM "${REGKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${REGKEY}" "Publisher" "scanstation"
  WriteRegStr HKLM "${REGKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${REGKEY}" "DisplayIcon" "$INSTDIR\Python\pythonw.exe"
  WriteRegStr HKLM "${REGKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${REGKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${REGKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${REGKEY}" "NoRepair" 1
  IntOp $0 ${SIZE_KB} + 0
  WriteRegDWORD HKLM "${REGKEY}" "EstimatedSize" $0
  WriteUninstaller "$INSTDIR\uninstall.exe"
SectionEnd

Function un.onInit
  SetShellVarContext all
  SetRegView 64
  !insertmacro RequireAdmin
  StrCpy $Purge "0"
  ${GetParameters} $1
  ClearErrors
  ${GetOptions} $1 "/PURGE" $2
  ${IfNot} ${Errors}
    StrCpy $Purge "1"
  ${ElseIfNot} ${Silent}
    MessageBox MB_YESNO|MB_DEFBUTTON2|MB_ICONQUESTION "Xóa luôn thiết lập của trạm (${DATADIR})?$\r$\nChọn Không để giữ lại (khuyến nghị khi cài lại hoặc nâng cấp)." IDNO keep
    StrCpy $Purge "1"
    keep:
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  SetRegView 64
  !insertmacro RequireNotRunning
  Delete "$SMPROGRAMS\${APPNAME}\*.lnk"
  RMDir "$SMPROGRAMS\${APPNAME}"
  RMDir /r "$INSTDIR\Python"
  RMDir /r "$INSTDIR\app"
  Delete "$INSTDIR\*.txt"
  Delete "$INSTDIR\scanstation.cmd"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${REGKEY}"
  ${If} $Purge == "1"
    RMDir /r "${DATADIR}"
    DetailPrint "Đã xóa thiết lập trạm ${DATADIR}."
  ${Else}
    DetailPrint "Giữ lại thiết lập trạm ${DATADIR}."
  ${EndIf}
  DetailPrint "Dữ liệu của từng người dùng (cơ sở dữ liệu, hồ sơ đang quét, hàng đợi gửi) trong AppData được giữ nguyên."
SectionEnd
